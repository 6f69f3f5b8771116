package io.keyshard.node.journal;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** The persistence ids a journal holds events for (what Warmer wakes slots from). */
@FunctionalInterface
public interface PersistenceIds {
  CompletionStage<List<String>> current();
}
