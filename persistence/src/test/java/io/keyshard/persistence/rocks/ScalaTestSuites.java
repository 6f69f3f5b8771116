package io.keyshard.persistence.rocks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.scalatest.Args;
import org.scalatest.ConfigMap$;
import org.scalatest.Filter$;
import org.scalatest.Reporter;
import org.scalatest.Stopper;
import org.scalatest.Suite;
import org.scalatest.Tracker;
import org.scalatest.events.Event;
import org.scalatest.events.Ordinal;
import org.scalatest.events.SuiteAborted;
import org.scalatest.events.TestCanceled;
import org.scalatest.events.TestFailed;
import org.scalatest.events.TestIgnored;
import org.scalatest.events.TestPending;
import org.scalatest.events.TestSucceeded;
import scala.Option;
import scala.collection.immutable.Set$;

/**
 * Runs a ScalaTest suite (Pekko's plugin test kit) inside a JUnit 5 test factory, so surefire
 * runs it with the module's other tests and reports each of its tests by name. The test kit's
 * Java variants no longer carry ScalaTest's JUnit 4 runner, and this needs no other engine.
 */
final class ScalaTestSuites {
  private ScalaTestSuites() {}

  private record Outcome(String name, Throwable failure) {}

  static List<DynamicTest> run(Suite suite) {
    List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    Reporter reporter = (Event event) -> {
      if (event instanceof TestSucceeded s) {
        outcomes.add(new Outcome(s.testName(), null));
      } else if (event instanceof TestFailed f) {
        outcomes.add(new Outcome(f.testName(), failure(f.message(), f.throwable())));
      } else if (event instanceof SuiteAborted a) {
        outcomes.add(new Outcome("suite " + a.suiteName(), failure(a.message(), a.throwable())));
      } else if (event instanceof TestCanceled c) {
        outcomes.add(new Outcome(c.testName(), failure("canceled: " + c.message(), c.throwable())));
      } else if (event instanceof TestIgnored i) {
        // An optional capability the plugin declares off: the test kit registers it ignored.
        outcomes.add(new Outcome(i.testName(), new AssertionError("ignored by the test kit")));
      } else if (event instanceof TestPending p) {
        outcomes.add(new Outcome(p.testName(), new AssertionError("pending in the test kit")));
      }
    };
    Stopper never = new Stopper() {
      @Override
      public boolean stopRequested() {
        return false;
      }

      @Override
      public void requestStop() {}
    };
    Args args = new Args(reporter, never,
        Filter$.MODULE$.apply(Filter$.MODULE$.apply$default$1(), Filter$.MODULE$.apply$default$2(),
            Filter$.MODULE$.apply$default$3(), Filter$.MODULE$.apply$default$4()),
        ConfigMap$.MODULE$.empty(), Option.empty(), new Tracker(new Ordinal(1)),
        Set$.MODULE$.empty(), false, Option.empty(), Option.empty());
    suite.run(Option.empty(), args).waitUntilCompleted();
    List<DynamicTest> tests = new ArrayList<>();
    if (outcomes.isEmpty()) {
      outcomes.add(new Outcome("suite", new AssertionError("the suite reported no test")));
    }
    for (Outcome outcome : outcomes) {
      tests.add(DynamicTest.dynamicTest(outcome.name(), () -> {
        if (outcome.failure() != null) {
          throw outcome.failure();
        }
      }));
    }
    return tests;
  }

  private static Throwable failure(String message, Option<Throwable> cause) {
    return cause.isDefined() ? new AssertionError(message, cause.get()) : new AssertionError(message);
  }
}
