package io.keyshard.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * The one command table: every command Keyshard answers, declared once as data with the facts
 * Redis 7.0.15 reports for it (COMMAND INFO and COMMAND DOCS), and the generic checks that run
 * before any handler: unknown command, unknown subcommand and wrong arity, with Redis's exact
 * error text. COMMAND itself is answered from here, so what clients read is what we enforce.
 *
 * <p>A declaration gives what the flags cannot imply: {@code cmd(name, arity, flags, acl)} takes
 * the command flags and only the ACL categories Redis's own command files list; the implied
 * categories (write, read, fast, slow, admin, dangerous ...) and the legacy first/last/step key
 * range are derived from the flags and key specs the way Redis derives them. {@code key(flags,
 * index)} is a key spec "begin at argv[index], one key"; {@code key(flags, index, lastKey,
 * keyStep)} a range whose lastKey is relative to index (negative: from the end of argv).
 *
 * <p>Left out of COMMAND DOCS: the "arguments" trees. Redis's own CLIENT, CONFIG and CLUSTER
 * have more subcommands than Keyshard implements; the table holds only ours.
 */
public final class CommandTable {

  private static final String RESTORE_COMPLEXITY =
      "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, "
          + "where N is the number of Redis objects composing the value and M their average size. "
          + "For small string values the time complexity is thus O(1)+O(1*M) where M is small, so "
          + "simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because "
          + "inserting values into sorted sets is O(log(N)).";

  private static List<CommandSpec> declare() {
    return concat(
        section("connection",
            cmd("ping", -1, "fast", "connection")
                .tips("request_policy:all_shards", "response_policy:all_succeeded")
                .doc("1.0.0", "O(1)", "Ping the server"),
            cmd("echo", 2, "loading stale fast", "connection")
                .doc("1.0.0", "O(1)", "Echo the given string"),
            cmd("select", 2, "loading stale fast", "connection")
                .doc("1.0.0", "O(1)", "Change the selected database for the current connection"),
            cmd("hello", -1, "noscript loading stale fast no_auth allow_busy", "connection")
                .doc("6.0.0", "O(1)", "Handshake with Redis")
                .history(
                    "6.2.0",
                    "`protover` made optional; when called without arguments the command "
                        + "reports the current connection's context."),
            cmd("auth", -2, "noscript loading stale fast no_auth allow_busy", "connection")
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of passwords defined for the user",
                    "Authenticate to the server")
                .history("6.0.0", "Added ACL style (username and password)."),
            cmd("client", -2, "", "")
                .doc(
                    "2.4.0",
                    "Depends on subcommand.",
                    "A container for client connection commands")
                .sub(
                    cmd("id", 2, "noscript loading stale", "connection")
                        .doc("5.0.0", "O(1)", "Returns the client ID for the current connection"),
                    cmd("setname", 3, "noscript loading stale", "connection")
                        .doc("2.6.9", "O(1)", "Set the current connection name"),
                    cmd("getname", 2, "noscript loading stale", "connection")
                        .doc("2.6.9", "O(1)", "Get the current connection name"),
                    cmd("info", 2, "noscript loading stale", "connection")
                        .tips("nondeterministic_output")
                        .doc(
                            "6.2.0",
                            "O(1)",
                            "Returns information about the current client connection."),
                    cmd("list", -2, "admin noscript loading stale", "connection")
                        .tips("nondeterministic_output")
                        .doc(
                            "2.4.0",
                            "O(N) where N is the number of client connections",
                            "Get the list of client connections")
                        .history("2.8.12", "Added unique client `id` field.")
                        .history("5.0.0", "Added optional `TYPE` filter.")
                        .history("6.0.0", "Added `user` field.")
                        .history(
                            "6.2.0",
                            "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the "
                                + "optional `ID` filter.")
                        .history("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields.")
                        .history("7.0.3", "Added `ssub` field."),
                    cmd("kill", -3, "admin noscript loading stale", "connection")
                        .doc(
                            "2.4.0",
                            "O(N) where N is the number of client connections",
                            "Kill the connection of a client")
                        .history("2.8.12", "Added new filter format.")
                        .history("2.8.12", "`ID` option.")
                        .history("3.2.0", "Added `master` type in for `TYPE` option.")
                        .history(
                            "5.0.0",
                            "Replaced `slave` `TYPE` with `replica`. `slave` still supported "
                                + "for backward compatibility.")
                        .history("6.2.0", "`LADDR` option."),
                    cmd("no-evict", 3, "admin noscript loading stale", "connection")
                        .doc(
                            "7.0.0",
                            "O(1)",
                            "Set client eviction mode for the current connection"),
                    cmd("reply", 3, "noscript loading stale", "connection")
                        .doc("3.2.0", "O(1)", "Instruct the server whether to reply to commands"),
                    cmd("tracking", -3, "noscript loading stale", "connection")
                        .doc(
                            "6.0.0",
                            "O(1). Some options may introduce additional complexity.",
                            "Enable or disable server assisted client side caching support"),
                    cmd("caching", 3, "noscript loading stale", "connection")
                        .doc(
                            "6.0.0",
                            "O(1)",
                            "Instruct the server about tracking or not keys in the next request"),
                    cmd("getredir", 2, "noscript loading stale", "connection")
                        .doc(
                            "6.0.0",
                            "O(1)",
                            "Get tracking notifications redirection client ID if any"),
                    cmd("trackinginfo", 2, "noscript loading stale", "connection")
                        .doc(
                            "6.2.0",
                            "O(1)",
                            "Return information about server assisted client side caching for the current connection"),
                    clientSetinfo(),
                    cmd("help", 2, "loading stale", "connection")
                        .doc("5.0.0", "O(1)", "Show helpful text about the different subcommands")),
            cmd("quit", -1, "noscript loading stale fast no_auth allow_busy", "connection")
                .doc("1.0.0", "O(1)", "Close the connection"),
            cmd("reset", 1, "noscript loading stale fast no_auth allow_busy", "connection")
                .doc("6.2.0", "O(1)", "Reset the connection")),
        section("server",
            // What MIGRATE sends in cluster mode: RESTORE, allowed on a slot being imported.
            cmd("restore-asking", -4, "write denyoom asking", "keyspace dangerous")
                .key("OW update", 1)
                .docFlags("syscmd")
                .doc("3.0.0", RESTORE_COMPLEXITY, "An internal command for migrating keys in a cluster")
                .history("3.0.0", "Added the `REPLACE` modifier.")
                .history("5.0.0", "Added the `ABSTTL` modifier.")
                .history("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
            cmd("command", -1, "loading stale", "connection")
                .tips("nondeterministic_output_order")
                .doc(
                    "2.8.13",
                    "O(N) where N is the total number of Redis commands",
                    "Get array of Redis command details")
                .sub(
                    cmd("count", 2, "loading stale", "connection")
                        .doc("2.8.13", "O(1)", "Get total number of Redis commands"),
                    cmd("info", -2, "loading stale", "connection")
                        .tips("nondeterministic_output_order")
                        .doc(
                            "2.8.13",
                            "O(N) where N is the number of commands to look up",
                            "Get array of specific Redis command details, or all when no "
                                + "argument is given.")
                        .history(
                            "7.0.0",
                            "Allowed to be called with no argument to get info on all commands."),
                    cmd("docs", -2, "loading stale", "connection")
                        .tips("nondeterministic_output_order")
                        .doc(
                            "7.0.0",
                            "O(N) where N is the number of commands to look up",
                            "Get array of specific Redis command documentation"),
                    cmd("list", -2, "loading stale", "connection")
                        .tips("nondeterministic_output_order")
                        .doc(
                            "7.0.0",
                            "O(N) where N is the total number of Redis commands",
                            "Get an array of Redis command names"),
                    cmd("getkeys", -4, "loading stale", "connection")
                        .doc(
                            "2.8.13",
                            "O(N) where N is the number of arguments to the command",
                            "Extract keys given a full Redis command"),
                    cmd("help", 2, "loading stale", "connection")
                        .doc("5.0.0", "O(1)", "Show helpful text about the different subcommands")),
            cmd("config", -2, "", "")
                .doc(
                    "2.0.0",
                    "Depends on subcommand.",
                    "A container for server configuration commands")
                .sub(
                    cmd("get", -3, "admin noscript loading stale", "")
                        .doc(
                            "2.0.0",
                            "O(N) when N is the number of configuration parameters provided",
                            "Get the values of configuration parameters")
                        .history(
                            "7.0.0",
                            "Added the ability to pass multiple pattern parameters in one call"),
                    cmd("set", -4, "admin noscript loading stale", "")
                        .tips("request_policy:all_nodes", "response_policy:all_succeeded")
                        .doc(
                            "2.0.0",
                            "O(N) when N is the number of configuration parameters provided",
                            "Set configuration parameters to the given values")
                        .history(
                            "7.0.0",
                            "Added the ability to set multiple parameters in one call."),
                    cmd("resetstat", 2, "admin noscript loading stale", "")
                        .doc("2.0.0", "O(1)", "Reset the stats returned by INFO"),
                    cmd("help", 2, "loading stale", "")
                        .doc("5.0.0", "O(1)", "Show helpful text about the different subcommands"),
                    cmd("rewrite", 2, "admin noscript loading stale", "")
                        .doc(
                            "2.8.0",
                            "O(1)",
                            "Rewrite the configuration file with the in memory configuration")),
            cmd("acl", -2, "", "")
                .doc("6.0.0", "Depends on subcommand.",
                    "A container for Access List Control commands ")
                .sub(
                    cmd("cat", -2, "noscript loading stale", "")
                        .doc("6.0.0", "O(1) since the categories and commands are a fixed set.",
                            "List the ACL categories or the commands inside a category"),
                    cmd("deluser", -3, "admin noscript loading stale", "")
                        .doc("6.0.0", "O(1) amortized time considering the typical user.",
                            "Remove the specified ACL users and the associated rules"),
                    cmd("dryrun", -4, "admin noscript loading stale", "")
                        .doc("7.0.0", "O(1).", "Returns whether the user can execute the given "
                            + "command without executing the command."),
                    cmd("genpass", -2, "noscript loading stale", "")
                        .doc("6.0.0", "O(1)",
                            "Generate a pseudorandom secure password to use for ACL users"),
                    cmd("getuser", 3, "admin noscript loading stale", "")
                        .doc("6.0.0", "O(N). Where N is the number of password, command and "
                            + "pattern rules that the user has.",
                            "Get the rules for a specific ACL user")
                        .history("6.2.0", "Added Pub/Sub channel patterns.")
                        .history("7.0.0", "Added selectors and changed the format of key and "
                            + "channel patterns from a list to their rule representation."),
                    cmd("help", 2, "loading stale", "")
                        .doc("6.0.0", "O(1)", "Show helpful text about the different subcommands"),
                    cmd("list", 2, "admin noscript loading stale", "")
                        .doc("6.0.0", "O(N). Where N is the number of configured users.",
                            "List the current ACL rules in ACL config file format"),
                    cmd("log", -2, "admin noscript loading stale", "")
                        .doc("6.0.0", "O(N) with N being the number of entries shown.",
                            "List latest events denied because of ACLs in place"),
                    cmd("setuser", -3, "admin noscript loading stale", "")
                        .doc("6.0.0", "O(N). Where N is the number of rules provided.",
                            "Modify or create the rules for a specific ACL user")
                        .history("6.2.0", "Added Pub/Sub channel patterns.")
                        .history("7.0.0", "Added selectors and key based permissions."),
                    cmd("users", 2, "admin noscript loading stale", "")
                        .doc("6.0.0", "O(N). Where N is the number of configured users.",
                            "List the username of all the configured ACL rules"),
                    cmd("whoami", 2, "noscript loading stale", "")
                        .doc("6.0.0", "O(1)",
                            "Return the name of the user associated to the current connection")),
            cmd("info", -1, "loading stale", "dangerous")
                .tips(
                    "nondeterministic_output",
                    "request_policy:all_shards",
                    "response_policy:special")
                .doc("1.0.0", "O(1)", "Get information and statistics about the server")
                .history("7.0.0", "Added support for taking multiple section arguments."),
            cmd("dbsize", 1, "readonly fast", "keyspace")
                .tips("request_policy:all_shards", "response_policy:agg_sum")
                .doc("1.0.0", "O(1)", "Return the number of keys in the selected database"),
            cmd("flushdb", -1, "write", "keyspace dangerous")
                .tips("request_policy:all_shards", "response_policy:all_succeeded")
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of keys in the selected database",
                    "Remove all keys from the current database")
                .history("4.0.0", "Added the `ASYNC` flushing mode modifier.")
                .history("6.2.0", "Added the `SYNC` flushing mode modifier."),
            cmd("flushall", -1, "write", "keyspace dangerous")
                .tips("request_policy:all_shards", "response_policy:all_succeeded")
                .doc(
                    "1.0.0",
                    "O(N) where N is the total number of keys in all databases",
                    "Remove all keys from all databases")
                .history("4.0.0", "Added the `ASYNC` flushing mode modifier.")
                .history("6.2.0", "Added the `SYNC` flushing mode modifier."),
            cmd("time", 1, "loading stale fast", "")
                .tips("nondeterministic_output")
                .doc("2.6.0", "O(1)", "Return the current server time"),
            cmd("lastsave", 1, "loading stale fast", "admin dangerous")
                .tips("nondeterministic_output")
                .doc(
                    "1.0.0",
                    "O(1)",
                    "Get the UNIX time stamp of the last successful save to disk"),
            cmd("save", 1, "admin noscript no_async_loading no_multi", "")
                .doc(
                    "1.0.0",
                    "O(N) where N is the total number of keys in all databases",
                    "Synchronously save the dataset to disk"),
            cmd("bgsave", -1, "admin noscript no_async_loading", "")
                .doc("1.0.0", "O(1)", "Asynchronously save the dataset to disk")
                .history("3.2.2", "Added the `SCHEDULE` option."),
            // For redis-cli --rdb only: Keyshard is never a replication master (no PSYNC).
            cmd("sync", 1, "admin noscript no_async_loading no_multi", "")
                .doc("1.0.0", null, "Internal command used for replication"),
            cmd("replconf", -1, "admin noscript loading stale allow_busy", "")
                .docFlags("syscmd")
                .doc("3.0.0", "O(1)", "An internal command for configuring the replication stream"),
            // Only DIGEST and DIGEST-VALUE; refused unless enable-debug-command allows it.
            cmd("debug", -2, "admin noscript loading stale", "")
                .docFlags("syscmd")
                .doc("1.0.0", "Depends on subcommand.", "A container for debugging commands"),
            // Keyshard's own, for its tools (keyshard-backup verify --against); not in Redis.
            cmd("keyshard", -2, "", "")
                .doc("0.1.0", "Depends on subcommand.", "A container for Keyshard's own commands")
                .sub(
                    cmd("digests", -2, "admin stale", "")
                        .tips("nondeterministic_output")
                        .doc("0.1.0", "O(N) where N is the number of keys of the slots asked",
                            "Per slot holding keys: each database's key counts and digests"),
                    cmd("keydigests", 4, "admin stale", "")
                        .tips("nondeterministic_output")
                        .doc("0.1.0", "O(N) where N is the number of keys in the slot",
                            "Each live key of a slot in a database: its digest and expiry"),
                    cmd("hold", 3, "admin stale", "")
                        .tips("nondeterministic_output")
                        .doc("0.1.0", "O(1)",
                            "Keep what rebuilds instants from now on in the journal; answers the hold's id and the journal's time"),
                    cmd("changed", 5, "admin stale", "")
                        .tips("nondeterministic_output")
                        .doc("0.1.0", "O(N) where N is the number of events the slot journaled since the instant",
                            "The keys of a slot's database written since an instant, read from the journal"),
                    cmd("release", 3, "admin stale", "")
                        .doc("0.1.0", "O(1)", "End a hold"),
                    cmd("help", 2, "loading stale", "")
                        .doc("0.1.0", "O(1)", "Show helpful text about the different subcommands")),
            cmd("shutdown", -1, "admin noscript loading stale no_multi allow_busy", "")
                .doc(
                    "1.0.0",
                    "O(N) when saving, where N is the total number of keys in all databases when "
                        + "saving data, otherwise O(1)",
                    "Synchronously save the dataset to disk and then shut down the server")
                .history("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.")),
        section("cluster",
            cmd("cluster", -2, "", "")
                .doc("3.0.0", "Depends on subcommand.", "A container for cluster commands")
                .sub(
                    cmd("info", 2, "stale", "")
                        .tips("nondeterministic_output")
                        .doc("3.0.0", "O(1)", "Provides info about Redis Cluster node state"),
                    cmd("nodes", 2, "stale", "")
                        .tips("nondeterministic_output")
                        .doc(
                            "3.0.0",
                            "O(N) where N is the total number of Cluster nodes",
                            "Get Cluster config for the node"),
                    cmd("slots", 2, "stale", "")
                        .tips("nondeterministic_output")
                        .doc(
                            "3.0.0",
                            "O(N) where N is the total number of Cluster nodes",
                            "Get array of Cluster slot to node mappings")
                        .history("4.0.0", "Added node IDs.")
                        .history("7.0.0", "Added additional networking metadata field.")
                        .deprecated("7.0.0", "`CLUSTER SHARDS`"),
                    cmd("shards", 2, "stale", "")
                        .tips("nondeterministic_output")
                        .doc(
                            "7.0.0",
                            "O(N) where N is the total number of cluster nodes",
                            "Get array of cluster slots to node mappings"),
                    cmd("keyslot", 3, "stale", "")
                        .doc(
                            "3.0.0",
                            "O(N) where N is the number of bytes in the key",
                            "Returns the hash slot of the specified key"),
                    cmd("myid", 2, "stale", "")
                        .doc("3.0.0", "O(1)", "Return the node id"),
                    cmd("help", 2, "loading stale", "")
                        .doc("5.0.0", "O(1)", "Show helpful text about the different subcommands"),
                    cmd("addslots", -3, "admin stale no_async_loading", "")
                        .doc(
                            "3.0.0",
                            "O(N) where N is the total number of hash slot arguments",
                            "Assign new hash slots to receiving node"),
                    cmd("addslotsrange", -4, "admin stale no_async_loading", "")
                        .doc(
                            "7.0.0",
                            "O(N) where N is the total number of the slots between the start slot "
                                + "and end slot arguments.",
                            "Assign new hash slots to receiving node"),
                    cmd("delslots", -3, "admin stale no_async_loading", "")
                        .doc(
                            "3.0.0",
                            "O(N) where N is the total number of hash slot arguments",
                            "Set hash slots as unbound in receiving node"),
                    cmd("delslotsrange", -4, "admin stale no_async_loading", "")
                        .doc(
                            "7.0.0",
                            "O(N) where N is the total number of the slots between the start slot "
                                + "and end slot arguments.",
                            "Set hash slots as unbound in receiving node"),
                    cmd("set-config-epoch", 3, "admin stale no_async_loading", "")
                        .doc("3.0.0", "O(1)", "Set the configuration epoch in a new node"),
                    cmd("meet", -4, "admin stale no_async_loading", "")
                        .doc("3.0.0", "O(1)", "Force a node cluster to handshake with another node")
                        .history("4.0.0", "Added the optional `cluster_bus_port` argument."),
                    cmd("replicate", 3, "admin stale no_async_loading", "")
                        .doc("3.0.0", "O(1)", "Reconfigure a node as a replica of the specified master node"),
                    cmd("replicas", 3, "admin stale", "")
                        .tips("nondeterministic_output")
                        .doc("5.0.0", "O(1)", "List replica nodes of the specified master node"),
                    cmd("slaves", 3, "admin stale", "")
                        .tips("nondeterministic_output")
                        .doc("3.0.0", "O(1)", "List replica nodes of the specified master node")
                        .deprecated("5.0.0", "`CLUSTER REPLICAS`"),
                    cmd("failover", -2, "admin stale no_async_loading", "")
                        .doc("3.0.0", "O(1)", "Forces a replica to perform a manual failover of its master."),
                    cmd("reset", -2, "admin noscript stale", "")
                        .doc(
                            "3.0.0",
                            "O(N) where N is the number of known nodes. The command may execute a "
                                + "FLUSHALL as a side effect.",
                            "Reset a Redis Cluster node"),
                    cmd("setslot", -4, "admin stale no_async_loading", "")
                        .doc("3.0.0", "O(1)", "Bind a hash slot to a specific node"),
                    cmd("forget", 3, "admin stale no_async_loading", "")
                        .doc("3.0.0", "O(1)", "Remove a node from the nodes table"),
                    cmd("bumpepoch", 2, "admin stale no_async_loading", "")
                        .tips("nondeterministic_output")
                        .doc("3.0.0", "O(1)", "Advance the cluster config epoch"),
                    cmd("saveconfig", 2, "admin stale no_async_loading", "")
                        .doc("3.0.0", "O(1)", "Forces the node to save cluster state on disk"),
                    cmd("countkeysinslot", 3, "stale", "")
                        .doc("3.0.0", "O(1)", "Return the number of local keys in the specified hash slot"),
                    cmd("getkeysinslot", 4, "stale", "")
                        .tips("nondeterministic_output")
                        .doc(
                            "3.0.0",
                            "O(log(N)) where N is the number of requested keys",
                            "Return local key names in the specified hash slot"),
                    clusterMigrateSlots(),
                    clusterGetSlotMigrations(),
                    clusterCancelSlotMigrations()),
            cmd("readonly", 1, "loading stale fast", "connection")
                .doc(
                    "3.0.0",
                    "O(1)",
                    "Enables read queries for a connection to a cluster replica node"),
            cmd("readwrite", 1, "loading stale fast", "connection")
                .doc(
                    "3.0.0",
                    "O(1)",
                    "Disables read queries for a connection to a cluster replica node"),
            cmd("asking", 1, "fast", "connection")
                .doc("3.0.0", "O(1)", "Sent by cluster clients after an -ASK redirect")),
        section("generic",
            cmd("wait", 3, "noscript", "connection")
                .tips("request_policy:all_shards", "response_policy:agg_min")
                .doc("3.0.0", "O(1)", "Wait for the synchronous replication of all the write "
                    + "commands sent in the context of the current connection"),
            cmd("del", -2, "write", "keyspace")
                .tips("request_policy:multi_shard", "response_policy:agg_sum")
                .key("RM delete", 1, -1, 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of keys that will be removed. When a key to "
                        + "remove holds a value other than a string, the individual complexity for "
                        + "this key is O(M) where M is the number of elements in the list, set, "
                        + "sorted set or hash. Removing a single key that holds a string value is "
                        + "O(1).",
                    "Delete a key"),
            cmd("unlink", -2, "write fast", "keyspace")
                .tips("request_policy:multi_shard", "response_policy:agg_sum")
                .key("RM delete", 1, -1, 1)
                .doc(
                    "4.0.0",
                    "O(1) for each key removed regardless of its size. Then the command does "
                        + "O(N) work in a different thread in order to reclaim memory, where N is "
                        + "the number of allocations the deleted objects where composed of.",
                    "Delete a key asynchronously in another thread. Otherwise it is just as "
                        + "DEL, but non blocking."),
            cmd("exists", -2, "readonly fast", "keyspace")
                .tips("request_policy:multi_shard", "response_policy:agg_sum")
                .key("RO", 1, -1, 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of keys to check.",
                    "Determine if a key exists")
                .history("3.0.3", "Accepts multiple `key` arguments."),
            cmd("type", 2, "readonly fast", "keyspace")
                .key("RO", 1)
                .doc("1.0.0", "O(1)", "Determine the type stored at key"),
            cmd("touch", -2, "readonly fast", "keyspace")
                .tips("request_policy:multi_shard", "response_policy:agg_sum")
                .key("RO", 1, -1, 1)
                .doc(
                    "3.2.1",
                    "O(N) where N is the number of keys that will be touched.",
                    "Alters the last access time of a key(s). Returns the number of existing "
                        + "keys specified."),
            cmd("expire", -3, "write fast", "keyspace")
                .key("RW update", 1)
                .doc("1.0.0", "O(1)", "Set a key's time to live in seconds")
                .history("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
            cmd("pexpire", -3, "write fast", "keyspace")
                .key("RW update", 1)
                .doc("2.6.0", "O(1)", "Set a key's time to live in milliseconds")
                .history("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
            cmd("expireat", -3, "write fast", "keyspace")
                .key("RW update", 1)
                .doc("1.2.0", "O(1)", "Set the expiration for a key as a UNIX timestamp")
                .history("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
            cmd("pexpireat", -3, "write fast", "keyspace")
                .key("RW update", 1)
                .doc(
                    "2.6.0",
                    "O(1)",
                    "Set the expiration for a key as a UNIX timestamp specified in milliseconds")
                .history("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
            cmd("ttl", 2, "readonly fast", "keyspace")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc("1.0.0", "O(1)", "Get the time to live for a key in seconds")
                .history("2.8.0", "Added the -2 reply."),
            cmd("pttl", 2, "readonly fast", "keyspace")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc("2.6.0", "O(1)", "Get the time to live for a key in milliseconds")
                .history("2.8.0", "Added the -2 reply."),
            cmd("expiretime", 2, "readonly fast", "keyspace")
                .key("RO access", 1)
                .doc("7.0.0", "O(1)", "Get the expiration Unix timestamp for a key"),
            cmd("pexpiretime", 2, "readonly fast", "keyspace")
                .key("RO access", 1)
                .doc(
                    "7.0.0",
                    "O(1)",
                    "Get the expiration Unix timestamp for a key in milliseconds"),
            cmd("persist", 2, "write fast", "keyspace")
                .key("RW update", 1)
                .doc("2.2.0", "O(1)", "Remove the expiration from a key"),
            cmd("rename", 3, "write", "keyspace")
                .key("RW access delete", 1)
                .key("OW update", 2)
                .doc("1.0.0", "O(1)", "Rename a key"),
            cmd("renamenx", 3, "write fast", "keyspace")
                .key("RW access delete", 1)
                .key("OW insert", 2)
                .doc("1.0.0", "O(1)", "Rename a key, only if the new key does not exist")
                .history(
                    "3.2.0",
                    "The command no longer returns an error when source and destination "
                        + "names are the same."),
            cmd("copy", -3, "write denyoom", "keyspace")
                .key("RO access", 1)
                .key("OW update", 2)
                .doc(
                    "6.2.0",
                    "O(N) worst case for collections, where N is the number of nested items. "
                        + "O(1) for string values.",
                    "Copy a key"),
            cmd("dump", 2, "readonly", "keyspace")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc(
                    "2.6.0",
                    "O(1) to access the key and additional O(N*M) to serialize it, where N is the "
                        + "number of Redis objects composing the value and M their average size. "
                        + "For small string values the time complexity is thus O(1)+O(1*M) where M "
                        + "is small, so simply O(1).",
                    "Return a serialized version of the value stored at the specified key."),
            cmd("restore", -4, "write denyoom", "keyspace dangerous")
                .key("OW update", 1)
                .doc(
                    "2.6.0",
                    RESTORE_COMPLEXITY,
                    "Create a key using the provided serialized value, previously obtained using "
                        + "DUMP.")
                .history("3.0.0", "Added the `REPLACE` modifier.")
                .history("5.0.0", "Added the `ABSTTL` modifier.")
                .history("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
            // The key, or "" and the keys after KEYS; the KEYS spec is incomplete (a password
            // may read "KEYS"), so once it matches, the keys are migrateKeys' (walkKeySpecs).
            cmd("migrate", -6, "write", "keyspace dangerous")
                .tips("nondeterministic_output")
                .key("RW access delete", 3)
                .keyword("RW access delete incomplete", "KEYS", -2, -1, 1, 0)
                .doc(
                    "2.6.0",
                    "This command actually executes a DUMP+DEL in the source instance, and a "
                        + "RESTORE in the target instance. See the pages of these commands for time "
                        + "complexity. Also an O(N) data transfer between the two instances is "
                        + "performed.",
                    "Atomically transfer a key from a Redis instance to another one.")
                .history("3.0.0", "Added the `COPY` and `REPLACE` options.")
                .history("3.0.6", "Added the `KEYS` option.")
                .history("4.0.7", "Added the `AUTH` option.")
                .history("6.0.0", "Added the `AUTH2` option."),
            // BY/GET read keys named by the sorted elements and STORE may come anywhere after
            // the options, so the last two specs are "unknown": the keys are sortKeys'.
            cmd("sort", -2, "write denyoom", "set sortedset list dangerous")
                .key("RO access", 1)
                .unknownKey("RO access")
                .note("For the optional BY/GET keyword. It is marked 'unknown' because the key "
                    + "names derive from the content of the key we sort")
                .unknownKey("OW update")
                .note("For the optional STORE keyword. It is marked 'unknown' because the keyword "
                    + "can appear anywhere in the argument array")
                .doc("1.0.0", SORT_COMPLEXITY, "Sort the elements in a list, set or sorted set"),
            cmd("sort_ro", -2, "readonly", "set sortedset list dangerous")
                .key("RO access", 1)
                .unknownKey("RO access")
                .note("For the optional BY/GET keyword. It is marked 'unknown' because the key "
                    + "names derive from the content of the key we sort")
                .doc("7.0.0", SORT_COMPLEXITY,
                    "Sort the elements in a list, set or sorted set. Read-only variant of SORT."),
            cmd("move", 3, "write fast", "keyspace")
                .key("RW access update", 1)
                .doc("1.0.0", "O(1)", "Move a key to another database"),
            cmd("keys", 2, "readonly", "keyspace dangerous")
                .tips("request_policy:all_shards", "nondeterministic_output_order")
                .doc(
                    "1.0.0",
                    "O(N) with N being the number of keys in the database, under the "
                        + "assumption that the key names in the database and the given pattern "
                        + "have limited length.",
                    "Find all keys matching the given pattern"),
            cmd("scan", -2, "readonly", "keyspace")
                .tips("nondeterministic_output", "request_policy:special")
                .doc(
                    "2.8.0",
                    "O(1) for every call. O(N) for a complete iteration, including enough "
                        + "command calls for the cursor to return back to 0. N is the number of "
                        + "elements inside the collection.",
                    "Incrementally iterate the keys space")
                .history("6.0.0", "Added the `TYPE` subcommand."),
            cmd("randomkey", 1, "readonly", "keyspace")
                .tips("request_policy:all_shards", "nondeterministic_output")
                .doc("1.0.0", "O(1)", "Return a random key from the keyspace"),
            cmd("object", -2, "", "")
                .doc(
                    "2.2.3",
                    "Depends on subcommand.",
                    "A container for object introspection commands")
                .sub(
                    cmd("encoding", 3, "readonly", "keyspace")
                        .tips("nondeterministic_output")
                        .key("RO", 2)
                        .doc("2.2.3", "O(1)", "Inspect the internal encoding of a Redis object"),
                    cmd("freq", 3, "readonly", "keyspace")
                        .tips("nondeterministic_output")
                        .key("RO", 2)
                        .doc(
                            "4.0.0",
                            "O(1)",
                            "Get the logarithmic access frequency counter of a Redis object"),
                    cmd("idletime", 3, "readonly", "keyspace")
                        .tips("nondeterministic_output")
                        .key("RO", 2)
                        .doc(
                            "2.2.3",
                            "O(1)",
                            "Get the time since a Redis object was last accessed"),
                    cmd("refcount", 3, "readonly", "keyspace")
                        .tips("nondeterministic_output")
                        .key("RO", 2)
                        .doc(
                            "2.2.3",
                            "O(1)",
                            "Get the number of references to the value of the key"),
                    cmd("help", 2, "loading stale", "keyspace")
                        .doc(
                            "6.2.0",
                            "O(1)",
                            "Show helpful text about the different subcommands"))),
        section("string",
            cmd("get", 2, "readonly fast", "string")
                .key("RO access", 1)
                .doc("1.0.0", "O(1)", "Get the value of a key"),
            cmd("set", -3, "write denyoom", "string")
                .key("RW access update variable_flags", 1)
                .note("RW and ACCESS due to the optional `GET` argument")
                .doc("1.0.0", "O(1)", "Set the string value of a key")
                .history("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options.")
                .history("6.0.0", "Added the `KEEPTTL` option.")
                .history("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option.")
                .history("7.0.0", "Allowed the `NX` and `GET` options to be used together."),
            cmd("setnx", 3, "write denyoom fast", "string")
                .key("OW insert", 1)
                .doc("1.0.0", "O(1)", "Set the value of a key, only if the key does not exist"),
            cmd("setex", 4, "write denyoom", "string")
                .key("OW update", 1)
                .doc("2.0.0", "O(1)", "Set the value and expiration of a key"),
            cmd("psetex", 4, "write denyoom", "string")
                .key("OW update", 1)
                .doc("2.6.0", "O(1)", "Set the value and expiration in milliseconds of a key"),
            cmd("getset", 3, "write denyoom fast", "string")
                .key("RW access update", 1)
                .doc("1.0.0", "O(1)", "Set the string value of a key and return its old value")
                .deprecated("6.2.0", "`SET` with the `!GET` argument"),
            cmd("getdel", 2, "write fast", "string")
                .key("RW access delete", 1)
                .doc("6.2.0", "O(1)", "Get the value of a key and delete the key"),
            cmd("getex", -2, "write fast", "string")
                .key("RW access update", 1)
                .note("RW and UPDATE because it changes the TTL")
                .doc("6.2.0", "O(1)", "Get the value of a key and optionally set its expiration"),
            cmd("mget", -2, "readonly fast", "string")
                .tips("request_policy:multi_shard")
                .key("RO access", 1, -1, 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of keys to retrieve.",
                    "Get the values of all the given keys"),
            cmd("mset", -3, "write denyoom", "string")
                .tips("request_policy:multi_shard", "response_policy:all_succeeded")
                .key("OW update", 1, -1, 2)
                .doc(
                    "1.0.1",
                    "O(N) where N is the number of keys to set.",
                    "Set multiple keys to multiple values"),
            cmd("msetnx", -3, "write denyoom", "string")
                .tips("request_policy:multi_shard", "response_policy:agg_min")
                .key("OW insert", 1, -1, 2)
                .doc(
                    "1.0.1",
                    "O(N) where N is the number of keys to set.",
                    "Set multiple keys to multiple values, only if none of the keys exist"),
            cmd("append", 3, "write denyoom fast", "string")
                .key("RW insert", 1)
                .doc(
                    "2.0.0",
                    "O(1). The amortized time complexity is O(1) assuming the appended value "
                        + "is small and the already present value is of any size, since the "
                        + "dynamic string library used by Redis will double the free space "
                        + "available on every reallocation.",
                    "Append a value to a key"),
            cmd("strlen", 2, "readonly fast", "string")
                .key("RO", 1)
                .doc("2.2.0", "O(1)", "Get the length of the value stored in a key"),
            cmd("incr", 2, "write denyoom fast", "string")
                .key("RW access update", 1)
                .doc("1.0.0", "O(1)", "Increment the integer value of a key by one"),
            cmd("decr", 2, "write denyoom fast", "string")
                .key("RW access update", 1)
                .doc("1.0.0", "O(1)", "Decrement the integer value of a key by one"),
            cmd("incrby", 3, "write denyoom fast", "string")
                .key("RW access update", 1)
                .doc("1.0.0", "O(1)", "Increment the integer value of a key by the given amount"),
            cmd("decrby", 3, "write denyoom fast", "string")
                .key("RW access update", 1)
                .doc("1.0.0", "O(1)", "Decrement the integer value of a key by the given number"),
            cmd("incrbyfloat", 3, "write denyoom fast", "string")
                .key("RW access update", 1)
                .doc("2.6.0", "O(1)", "Increment the float value of a key by the given amount"),
            cmd("getrange", 4, "readonly", "string")
                .key("RO access", 1)
                .doc(
                    "2.4.0",
                    "O(N) where N is the length of the returned string. The complexity is "
                        + "ultimately determined by the returned length, but because creating a "
                        + "substring from an existing string is very cheap, it can be considered "
                        + "O(1) for small strings.",
                    "Get a substring of the string stored at a key"),
            cmd("setrange", 4, "write denyoom", "string")
                .key("RW update", 1)
                .doc(
                    "2.2.0",
                    "O(1), not counting the time taken to copy the new string in place. "
                        + "Usually, this string is very small so the amortized complexity is O(1). "
                        + "Otherwise, complexity is O(M) with M being the length of the value "
                        + "argument.",
                    "Overwrite part of a string at key starting at the specified offset"),
            cmd("substr", 4, "readonly", "string")
                .key("RO access", 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the length of the returned string. The complexity is "
                        + "ultimately determined by the returned length, but because creating a "
                        + "substring from an existing string is very cheap, it can be considered "
                        + "O(1) for small strings.",
                    "Get a substring of the string stored at a key")
                .deprecated("2.0.0", "`GETRANGE`"),
            cmd("lcs", -3, "readonly", "string")
                .key("RO access", 1, 1, 1)
                .doc(
                    "7.0.0",
                    "O(N*M) where N and M are the lengths of s1 and s2, respectively",
                    "Find longest common substring")),
        section("hash",
            cmd("hset", -4, "write denyoom fast", "hash")
                .key("RW update", 1)
                .doc(
                    "2.0.0",
                    "O(1) for each field/value pair added, so O(N) to add N field/value pairs "
                        + "when the command is called with multiple field/value pairs.",
                    "Set the string value of a hash field")
                .history("4.0.0", "Accepts multiple `field` and `value` arguments."),
            cmd("hsetnx", 4, "write denyoom fast", "hash")
                .key("RW insert", 1)
                .doc("2.0.0", "O(1)", "Set the value of a hash field, only if the field does not exist"),
            cmd("hget", 3, "readonly fast", "hash")
                .key("RO access", 1)
                .doc("2.0.0", "O(1)", "Get the value of a hash field"),
            cmd("hmget", -3, "readonly fast", "hash")
                .key("RO access", 1)
                .doc(
                    "2.0.0",
                    "O(N) where N is the number of fields being requested.",
                    "Get the values of all the given hash fields"),
            cmd("hmset", -4, "write denyoom fast", "hash")
                .key("RW update", 1)
                .doc(
                    "2.0.0",
                    "O(N) where N is the number of fields being set.",
                    "Set multiple hash fields to multiple values")
                .deprecated("4.0.0", "`HSET` with multiple field-value pairs"),
            cmd("hdel", -3, "write fast", "hash")
                .key("RW delete", 1)
                .doc(
                    "2.0.0",
                    "O(N) where N is the number of fields to be removed.",
                    "Delete one or more hash fields")
                .history("2.4.0", "Accepts multiple `field` arguments."),
            cmd("hlen", 2, "readonly fast", "hash")
                .key("RO", 1)
                .doc("2.0.0", "O(1)", "Get the number of fields in a hash"),
            cmd("hstrlen", 3, "readonly fast", "hash")
                .key("RO", 1)
                .doc("3.2.0", "O(1)", "Get the length of the value of a hash field"),
            cmd("hexists", 3, "readonly fast", "hash")
                .key("RO", 1)
                .doc("2.0.0", "O(1)", "Determine if a hash field exists"),
            cmd("hkeys", 2, "readonly", "hash")
                .tips("nondeterministic_output_order")
                .key("RO access", 1)
                .doc("2.0.0", "O(N) where N is the size of the hash.", "Get all the fields in a hash"),
            cmd("hvals", 2, "readonly", "hash")
                .tips("nondeterministic_output_order")
                .key("RO access", 1)
                .doc("2.0.0", "O(N) where N is the size of the hash.", "Get all the values in a hash"),
            cmd("hgetall", 2, "readonly", "hash")
                .tips("nondeterministic_output_order")
                .key("RO access", 1)
                .doc(
                    "2.0.0",
                    "O(N) where N is the size of the hash.",
                    "Get all the fields and values in a hash"),
            cmd("hincrby", 4, "write denyoom fast", "hash")
                .key("RW access update", 1)
                .doc(
                    "2.0.0",
                    "O(1)",
                    "Increment the integer value of a hash field by the given number"),
            cmd("hincrbyfloat", 4, "write denyoom fast", "hash")
                .key("RW access update", 1)
                .doc(
                    "2.6.0",
                    "O(1)",
                    "Increment the float value of a hash field by the given amount"),
            cmd("hrandfield", -2, "readonly", "hash")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc(
                    "6.2.0",
                    "O(N) where N is the number of fields returned",
                    "Get one or multiple random fields from a hash"),
            cmd("hscan", -3, "readonly", "hash")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc(
                    "2.8.0",
                    "O(1) for every call. O(N) for a complete iteration, including enough "
                        + "command calls for the cursor to return back to 0. N is the number of "
                        + "elements inside the collection..",
                    "Incrementally iterate hash fields and associated values")),
        section("list", new Def[] {
            // Lists (and their blocking forms): declarations here, each ending with a comma.
            cmd("lpush", -3, "write denyoom fast", "list")
                .key("RW insert", 1)
                .doc(
                    "1.0.0",
                    "O(1) for each element added, so O(N) to add N elements when the command is "
                        + "called with multiple arguments.",
                    "Prepend one or multiple elements to a list")
                .history("2.4.0", "Accepts multiple `element` arguments."),
            cmd("rpush", -3, "write denyoom fast", "list")
                .key("RW insert", 1)
                .doc(
                    "1.0.0",
                    "O(1) for each element added, so O(N) to add N elements when the command is "
                        + "called with multiple arguments.",
                    "Append one or multiple elements to a list")
                .history("2.4.0", "Accepts multiple `element` arguments."),
            cmd("lpushx", -3, "write denyoom fast", "list")
                .key("RW insert", 1)
                .doc(
                    "2.2.0",
                    "O(1) for each element added, so O(N) to add N elements when the command is "
                        + "called with multiple arguments.",
                    "Prepend an element to a list, only if the list exists")
                .history("4.0.0", "Accepts multiple `element` arguments."),
            cmd("rpushx", -3, "write denyoom fast", "list")
                .key("RW insert", 1)
                .doc(
                    "2.2.0",
                    "O(1) for each element added, so O(N) to add N elements when the command is "
                        + "called with multiple arguments.",
                    "Append an element to a list, only if the list exists")
                .history("4.0.0", "Accepts multiple `element` arguments."),
            cmd("lpop", -2, "write fast", "list")
                .key("RW access delete", 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of elements returned",
                    "Remove and get the first elements in a list")
                .history("6.2.0", "Added the `count` argument."),
            cmd("rpop", -2, "write fast", "list")
                .key("RW access delete", 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of elements returned",
                    "Remove and get the last elements in a list")
                .history("6.2.0", "Added the `count` argument."),
            cmd("llen", 2, "readonly fast", "list")
                .key("RO", 1)
                .doc("1.0.0", "O(1)", "Get the length of a list"),
            cmd("lrange", 4, "readonly", "list")
                .key("RO access", 1)
                .doc(
                    "1.0.0",
                    "O(S+N) where S is the distance of start offset from HEAD for small lists, "
                        + "from nearest end (HEAD or TAIL) for large lists; and N is the number of "
                        + "elements in the specified range.",
                    "Get a range of elements from a list"),
            cmd("lindex", 3, "readonly", "list")
                .key("RO access", 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of elements to traverse to get to the element at "
                        + "index. This makes asking for the first or the last element of the list "
                        + "O(1).",
                    "Get an element from a list by its index"),
            cmd("lset", 4, "write denyoom", "list")
                .key("RW update", 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the length of the list. Setting either the first or the last "
                        + "element of the list is O(1).",
                    "Set the value of an element in a list by its index"),
            cmd("linsert", 5, "write denyoom", "list")
                .key("RW insert", 1)
                .doc(
                    "2.2.0",
                    "O(N) where N is the number of elements to traverse before seeing the value "
                        + "pivot. This means that inserting somewhere on the left end on the list "
                        + "(head) can be considered O(1) and inserting somewhere on the right end "
                        + "(tail) is O(N).",
                    "Insert an element before or after another element in a list"),
            cmd("lrem", 4, "write", "list")
                .key("RW delete", 1)
                .doc(
                    "1.0.0",
                    "O(N+M) where N is the length of the list and M is the number of elements "
                        + "removed.",
                    "Remove elements from a list"),
            cmd("ltrim", 4, "write", "list")
                .key("RW delete", 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of elements to be removed by the operation.",
                    "Trim a list to the specified range"),
            cmd("lpos", -3, "readonly", "list")
                .key("RO access", 1)
                .doc(
                    "6.0.6",
                    "O(N) where N is the number of elements in the list, for the average case. "
                        + "When searching for elements near the head or the tail of the list, or "
                        + "when the MAXLEN option is provided, the command may run in constant "
                        + "time.",
                    "Return the index of matching elements on a list"),
            cmd("lmove", 5, "write denyoom", "list")
                .key("RW access delete", 1)
                .key("RW insert", 2)
                .doc("6.2.0", "O(1)", "Pop an element from a list, push it to another list and return it"),
            cmd("rpoplpush", 3, "write denyoom", "list")
                .key("RW access delete", 1)
                .key("RW insert", 2)
                .doc(
                    "1.2.0",
                    "O(1)",
                    "Remove the last element in a list, prepend it to another list and return it")
                .deprecated("6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments"),
            cmd("lmpop", -4, "write", "list")
                .keyNum("RW access delete", 1, 0, 1, 1)
                .doc(
                    "7.0.0",
                    "O(N+M) where N is the number of provided keys and M is the number of elements "
                        + "returned.",
                    "Pop elements from a list"),
            cmd("blpop", -3, "write noscript blocking", "list")
                .key("RW access delete", 1, -2, 1)
                .doc(
                    "2.0.0",
                    "O(N) where N is the number of provided keys.",
                    "Remove and get the first element in a list, or block until one is available")
                .history("6.0.0", "`timeout` is interpreted as a double instead of an integer."),
            cmd("brpop", -3, "write noscript blocking", "list")
                .key("RW access delete", 1, -2, 1)
                .doc(
                    "2.0.0",
                    "O(N) where N is the number of provided keys.",
                    "Remove and get the last element in a list, or block until one is available")
                .history("6.0.0", "`timeout` is interpreted as a double instead of an integer."),
            cmd("blmove", 6, "write denyoom noscript blocking", "list")
                .key("RW access delete", 1)
                .key("RW insert", 2)
                .doc(
                    "6.2.0",
                    "O(1)",
                    "Pop an element from a list, push it to another list and return it; or block "
                        + "until one is available"),
            cmd("brpoplpush", 4, "write denyoom noscript blocking", "list")
                .key("RW access delete", 1)
                .key("RW insert", 2)
                .doc(
                    "2.2.0",
                    "O(1)",
                    "Pop an element from a list, push it to another list and return it; or block "
                        + "until one is available")
                .history("6.0.0", "`timeout` is interpreted as a double instead of an integer.")
                .deprecated("6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments"),
            cmd("blmpop", -5, "write blocking", "list")
                .keyNum("RW access delete", 2, 0, 1, 1)
                .doc(
                    "7.0.0",
                    "O(N+M) where N is the number of provided keys and M is the number of elements "
                        + "returned.",
                    "Pop elements from a list, or block until one is available"),

        }),

        section("set", new Def[] {
            // Sets: declarations here, each ending with a comma.
            cmd("sadd", -3, "write denyoom fast", "set")
                .key("RW insert", 1)
                .doc(
                    "1.0.0",
                    "O(1) for each element added, so O(N) to add N elements when the command is "
                        + "called with multiple arguments.",
                    "Add one or more members to a set")
                .history("2.4.0", "Accepts multiple `member` arguments."),
            cmd("srem", -3, "write fast", "set")
                .key("RW delete", 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the number of members to be removed.",
                    "Remove one or more members from a set")
                .history("2.4.0", "Accepts multiple `member` arguments."),
            cmd("scard", 2, "readonly fast", "set")
                .key("RO", 1)
                .doc("1.0.0", "O(1)", "Get the number of members in a set"),
            cmd("sismember", 3, "readonly fast", "set")
                .key("RO", 1)
                .doc("1.0.0", "O(1)", "Determine if a given value is a member of a set"),
            cmd("smismember", -3, "readonly fast", "set")
                .key("RO access", 1)
                .doc(
                    "6.2.0",
                    "O(N) where N is the number of elements being checked for membership",
                    "Returns the membership associated with the given elements for a set"),
            cmd("smembers", 2, "readonly", "set")
                .tips("nondeterministic_output_order")
                .key("RO access", 1)
                .doc("1.0.0", "O(N) where N is the set cardinality.", "Get all the members in a set"),
            cmd("spop", -2, "write fast", "set")
                .tips("nondeterministic_output")
                .key("RW access delete", 1)
                .doc(
                    "1.0.0",
                    "Without the count argument O(1), otherwise O(N) where N is the value of the "
                        + "passed count.",
                    "Remove and return one or multiple random members from a set")
                .history("3.2.0", "Added the `count` argument."),
            cmd("srandmember", -2, "readonly", "set")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc(
                    "1.0.0",
                    "Without the count argument O(1), otherwise O(N) where N is the absolute value "
                        + "of the passed count.",
                    "Get one or multiple random members from a set")
                .history("2.6.0", "Added the optional `count` argument."),
            cmd("smove", 4, "write fast", "set")
                .key("RW access delete", 1)
                .key("RW insert", 2)
                .doc("1.0.0", "O(1)", "Move a member from one set to another"),
            cmd("sinter", -2, "readonly", "set")
                .tips("nondeterministic_output_order")
                .key("RO access", 1, -1, 1)
                .doc(
                    "1.0.0",
                    "O(N*M) worst case where N is the cardinality of the smallest set and M is the "
                        + "number of sets.",
                    "Intersect multiple sets"),
            cmd("sunion", -2, "readonly", "set")
                .tips("nondeterministic_output_order")
                .key("RO access", 1, -1, 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the total number of elements in all given sets.",
                    "Add multiple sets"),
            cmd("sdiff", -2, "readonly", "set")
                .tips("nondeterministic_output_order")
                .key("RO access", 1, -1, 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the total number of elements in all given sets.",
                    "Subtract multiple sets"),
            cmd("sinterstore", -3, "write denyoom", "set")
                .key("RW update", 1)
                .key("RO access", 2, -1, 1)
                .doc(
                    "1.0.0",
                    "O(N*M) worst case where N is the cardinality of the smallest set and M is the "
                        + "number of sets.",
                    "Intersect multiple sets and store the resulting set in a key"),
            cmd("sunionstore", -3, "write denyoom", "set")
                .key("OW update", 1)
                .key("RO access", 2, -1, 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the total number of elements in all given sets.",
                    "Add multiple sets and store the resulting set in a key"),
            cmd("sdiffstore", -3, "write denyoom", "set")
                .key("OW update", 1)
                .key("RO access", 2, -1, 1)
                .doc(
                    "1.0.0",
                    "O(N) where N is the total number of elements in all given sets.",
                    "Subtract multiple sets and store the resulting set in a key"),
            cmd("sintercard", -3, "readonly", "set")
                .keyNum("RO access", 1, 0, 1, 1)
                .doc(
                    "7.0.0",
                    "O(N*M) worst case where N is the cardinality of the smallest set and M is the "
                        + "number of sets.",
                    "Intersect multiple sets and return the cardinality of the result"),
            cmd("sscan", -3, "readonly", "set")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc(
                    "2.8.0",
                    "O(1) for every call. O(N) for a complete iteration, including enough command "
                        + "calls for the cursor to return back to 0. N is the number of elements "
                        + "inside the collection..",
                    "Incrementally iterate Set elements"),
        }),

        section("sorted-set", new Def[] {
            // Sorted sets (and their blocking forms): declarations here, each ending with a comma.
            cmd("zadd", -4, "write denyoom fast", "sortedset")
                .key("RW update", 1)
                .doc("1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Add one or more members to a sorted set, or update its score if it already exists")
                .history("2.4.0", "Accepts multiple elements.")
                .history("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options.")
                .history("6.2.0", "Added the `GT` and `LT` options."),
            cmd("zincrby", 4, "write denyoom fast", "sortedset")
                .key("RW access update", 1)
                .doc("1.2.0", "O(log(N)) where N is the number of elements in the sorted set.", "Increment the score of a member in a sorted set"),
            cmd("zrem", -3, "write fast", "sortedset")
                .key("RW delete", 1)
                .doc("1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "Remove one or more members from a sorted set")
                .history("2.4.0", "Accepts multiple elements."),
            cmd("zcard", 2, "readonly fast", "sortedset")
                .key("RO", 1)
                .doc("1.2.0", "O(1)", "Get the number of members in a sorted set"),
            cmd("zscore", 3, "readonly fast", "sortedset")
                .key("RO access", 1)
                .doc("1.2.0", "O(1)", "Get the score associated with the given member in a sorted set"),
            cmd("zmscore", -3, "readonly fast", "sortedset")
                .key("RO access", 1)
                .doc("6.2.0", "O(N) where N is the number of members being requested.", "Get the score associated with the given members in a sorted set"),
            cmd("zrank", 3, "readonly fast", "sortedset")
                .key("RO access", 1)
                .doc("2.0.0", "O(log(N))", "Determine the index of a member in a sorted set"),
            cmd("zrevrank", 3, "readonly fast", "sortedset")
                .key("RO access", 1)
                .doc("2.0.0", "O(log(N))", "Determine the index of a member in a sorted set, with scores ordered from high to low"),
            cmd("zcount", 4, "readonly fast", "sortedset")
                .key("RO access", 1)
                .doc("2.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Count the members in a sorted set with scores within the given values"),
            cmd("zlexcount", 4, "readonly fast", "sortedset")
                .key("RO access", 1)
                .doc("2.8.9", "O(log(N)) with N being the number of elements in the sorted set.", "Count the number of members in a sorted set between a given lexicographical range"),
            cmd("zrange", -4, "readonly", "sortedset")
                .key("RO access", 1)
                .doc("1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set")
                .history("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."),
            cmd("zrangestore", -5, "write denyoom", "sortedset")
                .key("OW update", 1)
                .key("RO access", 2)
                .doc("6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "Store a range of members from sorted set into another key"),
            cmd("zrevrange", -4, "readonly", "sortedset")
                .key("RO access", 1)
                .doc("1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set, by index, with scores ordered from high to low")
                .deprecated("6.2.0", "`ZRANGE` with the `REV` argument"),
            cmd("zrangebyscore", -4, "readonly", "sortedset")
                .key("RO access", 1)
                .doc("1.0.5", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score")
                .history("2.0.0", "Added the `WITHSCORES` modifier.")
                .deprecated("6.2.0", "`ZRANGE` with the `BYSCORE` argument"),
            cmd("zrevrangebyscore", -4, "readonly", "sortedset")
                .key("RO access", 1)
                .doc("2.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score, with scores ordered from high to low")
                .history("2.1.6", "`min` and `max` can be exclusive.")
                .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments"),
            cmd("zrangebylex", -4, "readonly", "sortedset")
                .key("RO access", 1)
                .doc("2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range")
                .deprecated("6.2.0", "`ZRANGE` with the `BYLEX` argument"),
            cmd("zrevrangebylex", -4, "readonly", "sortedset")
                .key("RO access", 1)
                .doc("2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.")
                .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments"),
            cmd("zremrangebyrank", 4, "write", "sortedset")
                .key("RW delete", 1)
                .doc("2.0.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given indexes"),
            cmd("zremrangebyscore", 4, "write", "sortedset")
                .key("RW delete", 1)
                .doc("1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given scores"),
            cmd("zremrangebylex", 4, "write", "sortedset")
                .key("RW delete", 1)
                .doc("2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set between the given lexicographical range"),
            cmd("zpopmin", -2, "write fast", "sortedset")
                .key("RW access delete", 1)
                .doc("5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the lowest scores in a sorted set"),
            cmd("zpopmax", -2, "write fast", "sortedset")
                .key("RW access delete", 1)
                .doc("5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the highest scores in a sorted set"),
            cmd("bzpopmin", -3, "write noscript blocking fast", "sortedset")
                .key("RW access delete", 1, -2, 1)
                .doc("5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available")
                .history("6.0.0", "`timeout` is interpreted as a double instead of an integer."),
            cmd("bzpopmax", -3, "write noscript blocking fast", "sortedset")
                .key("RW access delete", 1, -2, 1)
                .doc("5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available")
                .history("6.0.0", "`timeout` is interpreted as a double instead of an integer."),
            cmd("zmpop", -4, "write", "sortedset")
                .keyNum("RW access delete", 1, 0, 1, 1)
                .doc("7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with scores in a sorted set"),
            cmd("bzmpop", -5, "write blocking", "sortedset")
                .keyNum("RW access delete", 2, 0, 1, 1)
                .doc("7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with scores in a sorted set or block until one is available"),
            cmd("zunion", -3, "readonly", "sortedset")
                .keyNum("RO access", 1, 0, 1, 1)
                .doc("6.2.0", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets"),
            cmd("zinter", -3, "readonly", "sortedset")
                .keyNum("RO access", 1, 0, 1, 1)
                .doc("6.2.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets"),
            cmd("zdiff", -3, "readonly", "sortedset")
                .keyNum("RO access", 1, 0, 1, 1)
                .doc("6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets"),
            cmd("zunionstore", -4, "write denyoom", "sortedset")
                .key("OW update", 1)
                .keyNum("RO access", 2, 0, 1, 1)
                .doc("2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets and store the resulting sorted set in a new key"),
            cmd("zinterstore", -4, "write denyoom", "sortedset")
                .key("OW update", 1)
                .keyNum("RO access", 2, 0, 1, 1)
                .doc("2.0.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
            cmd("zdiffstore", -4, "write denyoom", "sortedset")
                .key("OW update", 1)
                .keyNum("RO access", 2, 0, 1, 1)
                .doc("6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
            cmd("zintercard", -3, "readonly", "sortedset")
                .keyNum("RO access", 1, 0, 1, 1)
                .doc("7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "Intersect multiple sorted sets and return the cardinality of the result"),
            cmd("zrandmember", -2, "readonly", "sortedset")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc("6.2.0", "O(N) where N is the number of elements returned", "Get one or multiple random elements from a sorted set"),
            cmd("zscan", -3, "readonly", "sortedset")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc("2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate sorted sets elements and associated scores"),

        }),

        section("stream", new Def[] {
            // Streams: declarations from redis-server 7.0.15's COMMAND INFO and DOCS.
            cmd("xadd", -5, "write denyoom fast", "stream")
                .tips("nondeterministic_output")
                .key("RW update", 1)
                .note("UPDATE instead of INSERT because of the optional trimming feature")
                .doc("5.0.0", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", "Appends a new entry to a stream")
                .history("6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option.")
                .history("7.0.0", "Added support for the `<ms>-*` explicit ID form."),
            cmd("xrange", -4, "readonly", "stream")
                .key("RO access", 1)
                .doc("5.0.0", "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", "Return a range of elements in a stream, with IDs matching the specified IDs interval")
                .history("6.2.0", "Added exclusive ranges."),
            cmd("xrevrange", -4, "readonly", "stream")
                .key("RO access", 1)
                .doc("5.0.0", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE")
                .history("6.2.0", "Added exclusive ranges."),
            cmd("xlen", 2, "readonly fast", "stream")
                .key("RO", 1)
                .doc("5.0.0", "O(1)", "Return the number of entries in a stream"),
            cmd("xdel", -3, "write fast", "stream")
                .key("RW delete", 1)
                .doc("5.0.0", "O(1) for each single item to delete in the stream, regardless of the stream size.", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist."),
            cmd("xtrim", -4, "write", "stream")
                .tips("nondeterministic_output")
                .key("RW delete", 1)
                .doc("5.0.0", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", "Trims the stream to (approximately if '~' is passed) a certain size")
                .history("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."),
            cmd("xread", -4, "readonly blocking", "stream")
                .keyword("RO access", "STREAMS", 1, -1, 1, 2)
                .doc("5.0.0", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block."),
            cmd("xreadgroup", -7, "write blocking", "stream")
                .keyword("RO access", "STREAMS", 4, -1, 1, 2)
                .doc("5.0.0", "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block."),
            cmd("xgroup", -2, "", "")
                .doc("5.0.0", "Depends on subcommand.", "A container for consumer groups commands")
                .sub(
                    cmd("create", -5, "write denyoom", "stream")
                        .key("RW insert", 2)
                        .doc("5.0.0", "O(1)", "Create a consumer group.")
                        .history("7.0.0", "Added the `entries_read` named argument."),
                    cmd("createconsumer", 5, "write denyoom", "stream")
                        .key("RW insert", 2)
                        .doc("6.2.0", "O(1)", "Create a consumer in a consumer group."),
                    cmd("delconsumer", 5, "write", "stream")
                        .key("RW delete", 2)
                        .doc("5.0.0", "O(1)", "Delete a consumer from a consumer group."),
                    cmd("destroy", 4, "write", "stream")
                        .key("RW delete", 2)
                        .doc("5.0.0", "O(N) where N is the number of entries in the group's pending entries list (PEL).", "Destroy a consumer group."),
                    cmd("help", 2, "loading stale", "stream")
                        .doc("5.0.0", "O(1)", "Show helpful text about the different subcommands"),
                    cmd("setid", -5, "write", "stream")
                        .key("RW update", 2)
                        .doc("5.0.0", "O(1)", "Set a consumer group to an arbitrary last delivered ID value.")
                        .history("7.0.0", "Added the optional `entries_read` argument.")),
            cmd("xack", -4, "write fast", "stream")
                .key("RW update", 1)
                .doc("5.0.0", "O(1) for each message ID processed.", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL."),
            cmd("xpending", -3, "readonly", "stream")
                .tips("nondeterministic_output")
                .key("RO access", 1)
                .doc("5.0.0", "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.")
                .history("6.2.0", "Added the `IDLE` option and exclusive range intervals."),
            cmd("xclaim", -6, "write fast", "stream")
                .tips("nondeterministic_output")
                .key("RW update", 1)
                .doc("5.0.0", "O(log N) with N being the number of messages in the PEL of the consumer group.", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer."),
            cmd("xautoclaim", -6, "write fast", "stream")
                .tips("nondeterministic_output")
                .key("RW delete", 1)
                .doc("6.2.0", "O(1) if COUNT is small.", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.")
                .history("7.0.0", "Added an element to the reply array, containing deleted entries the command cleared from the PEL"),
            cmd("xinfo", -2, "", "")
                .doc("5.0.0", "Depends on subcommand.", "A container for stream introspection commands")
                .sub(
                    cmd("consumers", 4, "readonly", "stream")
                        .tips("nondeterministic_output")
                        .key("RO access", 2)
                        .doc("5.0.0", "O(1)", "List the consumers in a consumer group"),
                    cmd("groups", 3, "readonly", "stream")
                        .key("RO access", 2)
                        .doc("5.0.0", "O(1)", "List the consumer groups of a stream")
                        .history("7.0.0", "Added the `entries-read` and `lag` fields"),
                    cmd("help", 2, "loading stale", "stream")
                        .doc("5.0.0", "O(1)", "Show helpful text about the different subcommands"),
                    cmd("stream", -3, "readonly", "stream")
                        .key("RO access", 2)
                        .doc("5.0.0", "O(1)", "Get information about a stream")
                        .history("6.0.0", "Added the `FULL` modifier.")
                        .history("7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields")),
            cmd("xsetid", -3, "write denyoom fast", "stream")
                .key("RW update", 1)
                .doc("5.0.0", "O(1)", "An internal command for replicating stream values")
                .history("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."),

        }),

        section("transactions",
            cmd("multi", 1, "noscript loading stale fast allow_busy", "transaction")
                .doc("1.2.0", "O(1)", "Mark the start of a transaction block"),
            cmd("exec", 1, "noscript loading stale skip_slowlog", "transaction")
                .doc(
                    "1.2.0",
                    "Depends on commands in the transaction",
                    "Execute all commands issued after MULTI"),
            cmd("discard", 1, "noscript loading stale fast allow_busy", "transaction")
                .doc(
                    "2.0.0",
                    "O(N), when N is the number of queued commands",
                    "Discard all commands issued after MULTI"),
            cmd("watch", -2, "noscript loading stale fast allow_busy", "transaction")
                .key("RO", 1, -1, 1)
                .doc(
                    "2.2.0",
                    "O(1) for every key.",
                    "Watch the given keys to determine execution of the MULTI/EXEC block"),
            cmd("unwatch", 1, "noscript loading stale fast allow_busy", "transaction")
                .doc("2.2.0", "O(1)", "Forget about all watched keys")),

        section("pubsub",
            cmd("subscribe", -2, "pubsub noscript loading stale", "")
                .doc("2.0.0", "O(N) where N is the number of channels to subscribe to.",
                    "Listen for messages published to the given channels"),
            cmd("psubscribe", -2, "pubsub noscript loading stale", "")
                .doc("2.0.0", "O(N) where N is the number of patterns the client is already subscribed to.",
                    "Listen for messages published to channels matching the given patterns"),
            cmd("unsubscribe", -1, "pubsub noscript loading stale", "")
                .doc("2.0.0", "O(N) where N is the number of clients already subscribed to a channel.",
                    "Stop listening for messages posted to the given channels"),
            cmd("punsubscribe", -1, "pubsub noscript loading stale", "")
                .doc("2.0.0",
                    "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of "
                        + "total patterns subscribed in the system (by any client).",
                    "Stop listening for messages posted to channels matching the given patterns"),
            cmd("publish", 3, "pubsub loading stale fast", "")
                .doc("2.0.0",
                    "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total "
                        + "number of subscribed patterns (by any client).",
                    "Post a message to a channel"),
            cmd("ssubscribe", -2, "pubsub noscript loading stale", "")
                .key("not_key", 1, -1, 1)
                .doc("7.0.0", "O(N) where N is the number of shard channels to subscribe to.",
                    "Listen for messages published to the given shard channels"),
            cmd("sunsubscribe", -1, "pubsub noscript loading stale", "")
                .key("not_key", 1, -1, 1)
                .doc("7.0.0", "O(N) where N is the number of clients already subscribed to a shard channel.",
                    "Stop listening for messages posted to the given shard channels"),
            cmd("spublish", 3, "pubsub loading stale fast", "")
                .key("not_key", 1)
                .doc("7.0.0", "O(N) where N is the number of clients subscribed to the receiving shard channel.",
                    "Post a message to a shard channel"),
            cmd("pubsub", -2, "", "")
                .doc("2.8.0", "Depends on subcommand.", "A container for Pub/Sub commands")
                .sub(
                    cmd("channels", -2, "pubsub loading stale", "")
                        .doc("2.8.0",
                            "O(N) where N is the number of active channels, and assuming constant time pattern "
                                + "matching (relatively short channels and patterns)",
                            "List active channels"),
                    cmd("numsub", -2, "pubsub loading stale", "")
                        .doc("2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                            "Get the count of subscribers for channels"),
                    cmd("numpat", 2, "pubsub loading stale", "")
                        .doc("2.8.0", "O(1)", "Get the count of unique patterns pattern subscriptions"),
                    cmd("shardchannels", -2, "pubsub loading stale", "")
                        .doc("7.0.0",
                            "O(N) where N is the number of active shard channels, and assuming constant time pattern "
                                + "matching (relatively short shard channels).",
                            "List active shard channels"),
                    cmd("shardnumsub", -2, "pubsub loading stale", "")
                        .doc("7.0.0",
                            "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
                            "Get the count of subscribers for shard channels"),
                    cmd("help", 2, "loading stale", "")
                        .doc("6.2.0", "O(1)", "Show helpful text about the different subcommands"))),

        section("scripting",
            evalLike("eval", "", "RW access update", "Execute a Lua script server side", "2.6.0", true),
            evalLike("evalsha", "", "RW access update", "Execute a Lua script server side", "2.6.0", false),
            evalLike("eval_ro", "readonly ", "RO access", "Execute a read-only Lua script server side", "7.0.0", true),
            evalLike("evalsha_ro", "readonly ", "RO access", "Execute a read-only Lua script server side", "7.0.0", false),
            cmd("script", -2, "", "")
                .doc("2.6.0", "Depends on subcommand.", "A container for Lua scripts management commands")
                .sub(
                    cmd("exists", -3, "noscript", "scripting")
                        .tips("request_policy:all_shards", "response_policy:agg_logical_and")
                        .doc(
                            "2.6.0",
                            "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
                            "Check existence of scripts in the script cache."),
                    cmd("flush", -2, "noscript", "scripting")
                        .tips("request_policy:all_nodes", "response_policy:all_succeeded")
                        .doc("2.6.0", "O(N) with N being the number of scripts in cache", "Remove all the scripts from the script cache.")
                        .history("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers."),
                    cmd("kill", 2, "noscript allow_busy", "scripting")
                        .tips("request_policy:all_shards", "response_policy:one_succeeded")
                        .doc("2.6.0", "O(1)", "Kill the script currently in execution."),
                    cmd("load", 3, "noscript stale", "scripting")
                        .tips("request_policy:all_nodes", "response_policy:all_succeeded")
                        .doc(
                            "2.6.0",
                            "O(N) with N being the length in bytes of the script body.",
                            "Load the specified Lua script into the script cache."),
                    cmd("help", 2, "loading stale", "scripting")
                        .doc("5.0.0", "O(1)", "Show helpful text about the different subcommands")),
            cmd("fcall", -3, "noscript stale skip_monitor no_mandatory_keys", "scripting")
                .keyNum("RW access update", 2, 0, 1, 1)
                .note("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")
                .doc("7.0.0", "Depends on the function that is executed.", "Invoke a function"),
            cmd("fcall_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys", "scripting")
                .keyNum("RO access", 2, 0, 1, 1)
                .note("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")
                .doc("7.0.0", "Depends on the function that is executed.", "Invoke a read-only function"),
            cmd("function", -2, "", "")
                .doc("7.0.0", "Depends on subcommand.", "A container for function commands")
                .sub(
                    cmd("kill", 2, "noscript allow_busy", "scripting")
                        .tips("request_policy:all_shards", "response_policy:one_succeeded")
                        .doc("7.0.0", "O(1)", "Kill the function currently in execution."),
                    cmd("load", -3, "write denyoom noscript", "scripting")
                        .tips("request_policy:all_shards", "response_policy:all_succeeded")
                        .doc("7.0.0", "O(1) (considering compilation time is redundant)",
                            "Create a function with the given arguments (name, code, description)"),
                    cmd("dump", 2, "noscript", "scripting")
                        .doc("7.0.0", "O(N) where N is the number of functions",
                            "Dump all functions into a serialized binary payload"),
                    cmd("list", -2, "noscript", "scripting")
                        .tips("nondeterministic_output_order")
                        .doc("7.0.0", "O(N) where N is the number of functions", "List information about all the functions"),
                    cmd("flush", -2, "write noscript", "scripting")
                        .tips("request_policy:all_shards", "response_policy:all_succeeded")
                        .doc("7.0.0", "O(N) where N is the number of functions deleted", "Deleting all functions"),
                    cmd("help", 2, "loading stale", "scripting")
                        .doc("7.0.0", "O(1)", "Show helpful text about the different subcommands"),
                    cmd("delete", 3, "write noscript", "scripting")
                        .tips("request_policy:all_shards", "response_policy:all_succeeded")
                        .doc("7.0.0", "O(1)", "Delete a function by name"),
                    cmd("restore", -3, "write denyoom noscript", "scripting")
                        .tips("request_policy:all_shards", "response_policy:all_succeeded")
                        .doc("7.0.0", "O(N) where N is the number of functions on the payload",
                            "Restore all the functions on the given payload"),
                    cmd("stats", 2, "noscript allow_busy", "scripting")
                        .tips("nondeterministic_output", "request_policy:all_shards", "response_policy:special")
                        .doc("7.0.0", "O(1)",
                            "Return information about the function currently running (name, description, duration)"))));
  }

  /** EVAL, EVALSHA and their _RO forms: the keys are counted by argv[2], as Redis declares them. */
  private static Def evalLike(String name, String flags, String keyFlags, String summary, String since, boolean body) {
    Def d =
        cmd(name, -3, flags + "noscript stale skip_monitor no_mandatory_keys", "scripting")
            .keyNum(keyFlags, 2, 0, 1, 1);
    if (body) {
      d.note("We cannot tell how the keys will be used so we assume the worst, "
          + (keyFlags.startsWith("RW") ? "RW and UPDATE" : "RO and ACCESS"));
    }
    return d.doc(since, "Depends on the script that is executed.", summary);
  }

  /**
   * CLIENT SETINFO is Redis 7.2's (7.0 answers "unknown subcommand"); Keyshard accepts it because
   * 7.2+ clients send it on connect. Declared as 7.2 has it: exactly LIB-NAME or LIB-VER and a
   * value, so arity 4.
   */
  /**
   * Valkey 9's atomic slot migration (Redis 7.0 has none: CommandTableVsRedisTest leaves them
   * out of its comparison, as CLIENT SETINFO). The syntax errors are the handler's, Valkey's.
   */
  private static Def clusterMigrateSlots() {
    return cmd("migrateslots", -3, "admin stale no_async_loading", "")
        .doc("9.0.0", "O(N) where N is the total number of the slots between all start slot and end slot arguments.",
            "Migrate the given slot ranges to the given nodes, atomically per batch.");
  }

  private static Def clusterGetSlotMigrations() {
    return cmd("getslotmigrations", 2, "admin stale", "")
        .tips("nondeterministic_output")
        .doc("9.0.0", "O(N), where N is the number of active slot import and export jobs.",
            "Get the status of ongoing and recently finished slot migrations.");
  }

  private static Def clusterCancelSlotMigrations() {
    return cmd("cancelslotmigrations", 2, "admin stale no_async_loading", "")
        .doc("9.0.0", "O(N), where N is the number of slot migration operations being cancelled.",
            "Cancel all in progress slot migrations.");
  }

  private static Def clientSetinfo() {
    return cmd("setinfo", 4, "noscript loading stale", "connection")
        .doc("7.2.0", "O(1)", "Sets information specific to the client or connection.");
  }

  private static final CommandTable STANDARD = new CommandTable(declare());

  /** The table of every command Keyshard implements. */
  public static CommandTable standard() {
    return STANDARD;
  }

  // ---------------------------------------------------------------------------------------------
  // Lookup and the checks that run before any handler.

  private final List<CommandSpec> commands;
  /** Every command and subcommand by full name ("get", "config|get"). */
  private final Map<String, CommandSpec> byFullName;

  CommandTable(List<CommandSpec> commands) {
    this.commands = List.copyOf(commands);
    Map<String, CommandSpec> names = new LinkedHashMap<>();
    Map<String, CommandSpec> full = new LinkedHashMap<>();
    for (CommandSpec c : commands) {
      if (names.put(c.name(), c) != null) {
        throw new IllegalArgumentException("declared twice: " + c.name());
      }
      full.put(c.fullName(), c);
      for (CommandSpec sub : c.subcommands()) {
        if (full.put(sub.fullName(), sub) != null) {
          throw new IllegalArgumentException("declared twice: " + sub.fullName());
        }
      }
    }
    this.byFullName = Map.copyOf(full);
    this.names = new NameIndex(commands);
  }

  /** Top-level commands by name, looked up from a request's bytes without allocating. */
  private final NameIndex names;

  /**
   * Top-level commands by name, ASCII case folded, in an open-addressing table probed with the
   * request's bytes as they are: every request looks its command up (several times on its way),
   * and lowercasing into a new String for a map made that visible in profiles.
   */
  private static final class NameIndex {
    private final byte[][] keys;
    private final CommandSpec[] specs;
    private final int mask;

    NameIndex(List<CommandSpec> commands) {
      int size = Integer.highestOneBit(Math.max(4, commands.size() * 4) - 1) << 1;
      keys = new byte[size][];
      specs = new CommandSpec[size];
      mask = size - 1;
      for (CommandSpec c : commands) {
        byte[] name = c.name().getBytes(StandardCharsets.US_ASCII);
        int i = hash(name) & mask;
        while (keys[i] != null) {
          i = (i + 1) & mask;
        }
        keys[i] = name;
        specs[i] = c;
      }
    }

    CommandSpec get(byte[] name) {
      int i = hash(name) & mask;
      while (keys[i] != null) {
        if (equalsFolded(keys[i], name)) {
          return specs[i];
        }
        i = (i + 1) & mask;
      }
      return null;
    }

    private static int fold(byte b) {
      return b >= 'A' && b <= 'Z' ? b + 32 : b;
    }

    private static int hash(byte[] name) {
      int h = 0;
      for (byte b : name) {
        h = 31 * h + fold(b);
      }
      return h ^ (h >>> 16);
    }

    /** {@code lower} is a declared name, lowercase already. */
    private static boolean equalsFolded(byte[] lower, byte[] name) {
      if (lower.length != name.length) {
        return false;
      }
      for (int i = 0; i < lower.length; i++) {
        if (lower[i] != fold(name[i])) {
          return false;
        }
      }
      return true;
    }
  }

  /** Top-level commands in declaration order. */
  public Collection<CommandSpec> all() {
    return commands;
  }

  /** The top-level command with this name in any case, or null. */
  public CommandSpec lookup(byte[] name) {
    return names.get(name);
  }

  /**
   * A command or subcommand by full name in any case ("get", "CONFIG|GET"), or null; as Redis's
   * lookupCommandBySds, "config" is the container itself and "get|x" is nothing.
   */
  public CommandSpec lookupFullName(String fullName) {
    return byFullName.get(lower(fullName.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * The spec that runs for argv: the subcommand's for a container called with one (CONFIG GET),
   * else the command's (also a container called alone, which then fails arity). Null if unknown.
   */
  public CommandSpec resolve(byte[][] argv) {
    if (argv.length == 0) return null;
    CommandSpec base = lookup(argv[0]);
    if (base == null || argv.length == 1 || !base.isContainer()) return base;
    return byFullName.get(base.name() + "|" + lower(argv[1]));
  }

  /**
   * Null if argv may run; otherwise Redis 7.0's reply for an unknown command, an unknown
   * subcommand of a container, or a wrong number of arguments. A rejected EXEC gets EXECABORT,
   * and the caller must then discard the transaction, as Redis does.
   */
  public Reply check(byte[][] argv) {
    CommandSpec spec = resolve(argv);
    if (spec == null) {
      CommandSpec base = argv.length == 0 ? null : lookup(argv[0]);
      // The name is a container, so it is the subcommand that is unknown (argv has two or more).
      if (base != null && base.isContainer()) return unknownSubcommand(base, argv[1]);
      return unknownCommand(argv);
    }
    if (arityAccepts(spec.arity(), argv.length)) return null;
    // Redis answers any rejected EXEC with EXECABORT (and discards a pending transaction).
    if (spec.fullName().equals("exec")) {
      return Reply.error("EXECABORT Transaction discarded because of: wrong number of arguments "
          + "for 'exec' command");
    }
    return Err.wrongArity(spec.fullName());
  }

  static boolean arityAccepts(int arity, int argc) {
    return arity >= 0 ? argc == arity : argc >= -arity;
  }

  /**
   * {@code ERR unknown command '<name>', with args beginning with: '<a>' '<b>' } as Redis builds
   * it: the name cut to 128 bytes, then quoted arguments while the list is under 128 bytes, each
   * cut to what is left of those 128; C strings, so each stops at a NUL; CR and LF become spaces.
   */
  private static Reply unknownCommand(byte[][] argv) {
    ByteBuf args = new ByteBuf();
    for (int i = 1; i < argv.length && args.size() < 128; i++) {
      int room = 128 - args.size();
      args.add('\'').addC(argv[i], room).add('\'').add(' ');
    }
    ByteBuf msg = new ByteBuf().add("ERR unknown command '")
        .addC(argv.length == 0 ? new byte[0] : argv[0], 128)
        .add("', with args beginning with: ").add(args);
    return Reply.error(msg.text());
  }

  /** {@code ERR unknown subcommand '<sub>'. Try CONFIG HELP.}, the subcommand cut to 128 bytes. */
  private static Reply unknownSubcommand(CommandSpec container, byte[] sub) {
    ByteBuf msg = new ByteBuf().add("ERR unknown subcommand '").addC(sub, 128)
        .add("'. Try " + container.name().toUpperCase(Locale.ROOT) + " HELP.");
    return Reply.error(msg.text());
  }

  /**
   * The argv indexes of spec's keys from its first/last/step (a negative last counts from the
   * end), skipping any beyond argv; empty if the command has no keys. Pass the resolved spec: for
   * OBJECT ENCODING k that is object|encoding, whose key is argv[2].
   */
  public int[] keyPositions(CommandSpec spec, byte[][] argv) {
    if (spec.flags().contains(CommandFlags.MOVABLEKEYS)) {
      // Keys found from the arguments (a key count): none when the count does not fit argv, so
      // the command runs in any one slot and answers the argument error itself.
      int[] keys = keysFromSpecs(spec, argv);
      return keys == null ? NO_KEYS : keys;
    }
    if (spec.firstKey() <= 0 || spec.step() <= 0) return NO_KEYS;
    int last = spec.lastKey() < 0 ? argv.length + spec.lastKey() : spec.lastKey();
    last = Math.min(last, argv.length - 1);
    if (last < spec.firstKey()) return NO_KEYS;
    int[] keys = new int[(last - spec.firstKey()) / spec.step() + 1];
    for (int i = 0, pos = spec.firstKey(); pos <= last; pos += spec.step()) {
      keys[i++] = pos;
    }
    return keys;
  }

  private static final int[] NO_KEYS = new int[0];

  private static final String SORT_COMPLEXITY =
      "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
          + "number of returned elements. When the elements are not sorted, complexity is O(N).";

  /**
   * The keys as COMMAND GETKEYS finds them, walking the key specs like Redis's
   * getKeysUsingKeySpecs; null if a spec does not fit argv (Redis's "invalid spec").
   */
  static int[] keysFromSpecs(CommandSpec spec, byte[][] argv) {
    List<Integer> keys = new ArrayList<>();
    if (!walkKeySpecs(spec, argv, (pos, ks) -> keys.add(pos))) return null;
    return keys.stream().mapToInt(Integer::intValue).toArray();
  }

  /** One key of a request: its argv index and the key spec that found it (for its flags). */
  public record KeyRef(int pos, CommandSpec.KeySpec spec) {}

  /**
   * The keys of argv with the key spec of each, as ACL key permissions check them (Redis's
   * getKeysFromCommandWithSpecs); empty when a spec does not fit argv, so the command itself
   * answers the argument error.
   */
  public List<KeyRef> keysWithSpecs(CommandSpec spec, byte[][] argv) {
    List<KeyRef> keys = new ArrayList<>();
    if (!walkKeySpecs(spec, argv, (pos, ks) -> keys.add(new KeyRef(pos, ks)))) return List.of();
    return keys;
  }

  /**
   * Walks the key specs like Redis's getKeysUsingKeySpecs; false if one does not fit argv. A
   * spec that does not fit, or an incomplete one that found its keyword, sends Redis to the
   * command's own key procedure: MIGRATE's is {@link #migrateKeys}, whose keys have its first
   * spec's flags; other commands have none here.
   */
  private static boolean walkKeySpecs(CommandSpec spec, byte[][] argv,
      BiConsumer<Integer, CommandSpec.KeySpec> found) {
    List<Integer> positions = new ArrayList<>();
    List<CommandSpec.KeySpec> specs = new ArrayList<>();
    if (!specKeys(spec, argv, positions, specs)) {
      positions.clear();
      specs.clear();
      if (spec.fullName().equals("migrate")) {
        for (int k : migrateKeys(argv)) {
          positions.add(k);
          specs.add(spec.keySpecs().get(0));
        }
      } else if (spec.fullName().equals("sort") || spec.fullName().equals("sort_ro")) {
        int[] keys = sortKeys(argv);
        for (int i = 0; i < keys.length; i++) {
          positions.add(keys[i]);
          // The sorted key has the first spec's flags, STORE's destination the last's.
          specs.add(spec.keySpecs().get(i == 0 ? 0 : spec.keySpecs().size() - 1));
        }
      } else {
        return false;
      }
    }
    for (int i = 0; i < positions.size(); i++) found.accept(positions.get(i), specs.get(i));
    return true;
  }

  private static boolean specKeys(CommandSpec spec, byte[][] argv, List<Integer> positions,
      List<CommandSpec.KeySpec> specs) {
    int argc = argv.length;
    for (CommandSpec.KeySpec ks : spec.keySpecs()) {
      int first;
      if (ks.beginSearch() instanceof CommandSpec.UnknownSearch) {
        return false; // the command's own key procedure finds them
      }
      if (ks.beginSearch() instanceof CommandSpec.Index index) {
        first = index.pos();
      } else {
        CommandSpec.Keyword kw = (CommandSpec.Keyword) ks.beginSearch();
        first = findKeyword(kw, argv);
        if (first == 0) continue; // keyword absent: this spec has no keys here
      }
      int last;
      int step;
      if (ks.findKeys() instanceof CommandSpec.Range r) {
        step = r.keyStep();
        if (r.lastKey() >= 0) {
          last = first + r.lastKey();
        } else if (r.limit() == 0) {
          last = argc + r.lastKey();
        } else {
          last = first + ((argc - first) / r.limit() + r.lastKey());
        }
      } else {
        CommandSpec.KeyNum kn = (CommandSpec.KeyNum) ks.findKeys();
        if (first + kn.keyNumIdx() >= argc) return false;
        long numKeys;
        try {
          numKeys = Long.parseLong(new String(argv[first + kn.keyNumIdx()],
              StandardCharsets.ISO_8859_1));
        } catch (NumberFormatException e) {
          return false;
        }
        if (numKeys < 0 || numKeys > argc) return false;
        first += kn.firstKey();
        last = first + (int) numKeys - 1;
        step = kn.keyStep();
      }
      if (last >= argc || last < first || first >= argc) return false;
      for (int i = first; i <= last; i += step) {
        positions.add(i);
        specs.add(ks);
      }
      if (ks.flags().contains("incomplete")) return false;
    }
    return true;
  }

  /**
   * MIGRATE's keys as Redis 7.0's migrateGetKeys finds them: argv[3], or with KEYS (after the
   * options, AUTH and AUTH2 taking their arguments) the rest of argv, none if argv[3] is then
   * not empty (MIGRATE answers that error itself).
   */
  static int[] migrateKeys(byte[][] argv) {
    int first = 3;
    int num = argv.length > 3 ? 1 : 0;
    for (int i = 6; i < argv.length; i++) {
      if (optionIs(argv[i], "keys")) {
        if (argv[3].length > 0) {
          num = 0;
        } else {
          first = i + 1;
          num = argv.length - first;
        }
        break;
      }
      if (optionIs(argv[i], "auth")) {
        i += 1;
      } else if (optionIs(argv[i], "auth2")) {
        i += 2;
      }
    }
    int[] keys = new int[num];
    for (int k = 0; k < num; k++) keys[k] = first + k;
    return keys;
  }

  /**
   * SORT's keys as Redis 7.0's sortGetKeys finds them: argv[1], and the argument after the last
   * STORE, skipping LIMIT's two arguments and BY's and GET's one (SORT_RO: only argv[1], since
   * its STORE is a syntax error).
   */
  static int[] sortKeys(byte[][] argv) {
    int store = 0;
    boolean readOnly = lower(argv[0]).equals("sort_ro");
    for (int i = 2; i < argv.length; i++) {
      int left = argv.length - i - 1;
      if (optionIs(argv[i], "limit") && left >= 2) {
        i += 2;
      } else if ((optionIs(argv[i], "get") || optionIs(argv[i], "by")) && left >= 1) {
        i += 1;
      } else if (!readOnly && optionIs(argv[i], "store") && left >= 1) {
        store = i + 1;
        i += 1;
      }
    }
    return store == 0 ? new int[] {1} : new int[] {1, store};
  }

  /** strcasecmp of a C string: the argument ends at its first NUL. */
  private static boolean optionIs(byte[] arg, String word) {
    int len = 0;
    while (len < arg.length && arg[len] != 0) len++;
    return len == word.length() && lower(Arrays.copyOf(arg, len)).equals(word);
  }

  private static int findKeyword(CommandSpec.Keyword kw, byte[][] argv) {
    int argc = argv.length;
    int start = kw.startFrom() > 0 ? kw.startFrom() : argc + kw.startFrom();
    int end = kw.startFrom() > 0 ? argc - 1 : 1;
    for (int i = start; ; i = start <= end ? i + 1 : i - 1) {
      if (i >= argc || i < 1) return 0;
      if (lower(argv[i]).equals(kw.keyword().toLowerCase(Locale.ROOT))) return i + 1;
      if (i == end) return 0;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // COMMAND and its subcommands, answered from the table.

  /** Answers an argv whose name is COMMAND, in Redis 7.0's reply shapes. */
  public Reply command(byte[][] argv) {
    CommandSpec spec = resolve(argv);
    if (spec != null && !spec.fullName().equals("command")
        && !spec.fullName().startsWith("command|")) {
      throw new IllegalArgumentException("not a COMMAND call: " + spec.fullName());
    }
    Reply error = check(argv);
    if (error != null) return error;
    return switch (spec.fullName()) {
      case "command", "command|info" -> commandInfo(argv);
      case "command|count" -> Reply.integer(commands.size());
      case "command|docs" -> commandDocs(argv);
      case "command|list" -> commandList(argv);
      case "command|getkeys" -> commandGetKeys(argv);
      case "command|help" -> CommandDocs.commandHelp();
      default -> throw new IllegalStateException("COMMAND subcommand without a handler: "
          + spec.fullName());
    };
  }

  /** COMMAND and COMMAND INFO: all commands, or each named one (null entry if unknown). */
  private Reply commandInfo(byte[][] argv) {
    List<Reply> items = new ArrayList<>();
    if (argv.length <= 2) {
      for (CommandSpec c : commands) items.add(CommandDocs.info(c));
    } else {
      for (int i = 2; i < argv.length; i++) {
        CommandSpec c = lookupByFullName(argv[i]);
        items.add(c == null ? Reply.NULL : CommandDocs.info(c));
      }
    }
    return new Reply.Array(items);
  }

  /** COMMAND DOCS: a map of full name to docs; unknown names are left out. */
  private Reply commandDocs(byte[][] argv) {
    List<Reply> kv = new ArrayList<>();
    if (argv.length == 2) {
      for (CommandSpec c : commands) {
        kv.add(Reply.bulk(c.fullName()));
        kv.add(CommandDocs.docs(c));
      }
    } else {
      for (int i = 2; i < argv.length; i++) {
        CommandSpec c = lookupByFullName(argv[i]);
        if (c == null) continue;
        kv.add(Reply.bulk(c.fullName()));
        kv.add(CommandDocs.docs(c));
      }
    }
    return new Reply.Map(kv);
  }

  /**
   * COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN glob]: full names of commands
   * and subcommands. FILTERBY must be the last three arguments, else a syntax error, as in Redis.
   */
  private Reply commandList(byte[][] argv) {
    Predicate<CommandSpec> filter = c -> true;
    if (argv.length != 2) {
      if (argv.length != 5 || !lower(argv[2]).equals("filterby")) return Err.SYNTAX;
      switch (lower(argv[3])) {
        // Keyshard loads no modules, so no command belongs to one.
        case "module" -> filter = c -> false;
        case "aclcat" -> {
          String cat = lower(argv[4]);
          filter = c -> c.aclCategories().contains(cat);
        }
        case "pattern" -> filter = c -> Glob.match(argv[4],
            c.fullName().getBytes(StandardCharsets.US_ASCII), true);
        default -> {
          return Err.SYNTAX;
        }
      }
    }
    List<Reply> names = new ArrayList<>();
    for (CommandSpec c : commands) {
      if (filter.test(c)) names.add(Reply.bulk(c.fullName()));
      for (CommandSpec sub : c.subcommands()) {
        if (filter.test(sub)) names.add(Reply.bulk(sub.fullName()));
      }
    }
    return new Reply.Array(names);
  }

  /** COMMAND GETKEYS cmd arg...: the keys the key specs find, with Redis's error texts. */
  private Reply commandGetKeys(byte[][] argv) {
    byte[][] target = Arrays.copyOfRange(argv, 2, argv.length);
    CommandSpec spec = resolve(target);
    if (spec == null) return Err.err("Invalid command specified");
    if (!spec.hasKeys()) return Err.err("The command has no key arguments");
    if (!arityAccepts(spec.arity(), target.length)) {
      return Err.err("Invalid number of arguments specified for command");
    }
    int[] keys = keysFromSpecs(spec, target);
    if (keys == null || keys.length == 0) return Err.err("Invalid arguments specified for command");
    List<Reply> out = new ArrayList<>(keys.length);
    for (int k : keys) out.add(Reply.bulk(target[k]));
    return new Reply.Array(out);
  }

  private CommandSpec lookupByFullName(byte[] name) {
    return byFullName.get(lower(name));
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  /** ASCII-lowercase, byte for byte, as Redis's case-insensitive command dict compares. */
  static String lower(byte[] name) {
    char[] chars = new char[name.length];
    for (int i = 0; i < name.length; i++) {
      int b = name[i] & 0xff;
      chars[i] = (char) (b >= 'A' && b <= 'Z' ? b + 32 : b);
    }
    return new String(chars);
  }

  /** Bytes of an error text under construction, with C-string semantics where Redis has them. */
  private static final class ByteBuf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    ByteBuf add(char c) {
      out.write(c);
      return this;
    }

    ByteBuf add(String s) {
      out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    ByteBuf add(ByteBuf other) {
      out.writeBytes(other.out.toByteArray());
      return this;
    }

    /** Like printf's %.Ns of a C string: at most max bytes, stopping at a NUL. */
    ByteBuf addC(byte[] s, int max) {
      for (int i = 0; i < s.length && i < max && s[i] != 0; i++) {
        out.write(s[i]);
      }
      return this;
    }

    int size() {
      return out.size();
    }

    /** The text with CR and LF mapped to spaces, as Redis does before sending an error. */
    String text() {
      byte[] bytes = out.toByteArray();
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == '\r' || bytes[i] == '\n') bytes[i] = ' ';
      }
      // Byte for byte: a name or argument that is not UTF-8 comes back as sent, as in Redis.
      return RawText.fromBytes(bytes);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The declaration language used by declare().

  @SafeVarargs
  private static List<CommandSpec> concat(List<CommandSpec>... sections) {
    List<CommandSpec> all = new ArrayList<>();
    for (List<CommandSpec> s : sections) all.addAll(s);
    return all;
  }

  /** Commands of one COMMAND DOCS group; subcommands share their container's group. */
  private static List<CommandSpec> section(String group, Def... defs) {
    List<CommandSpec> specs = new ArrayList<>(defs.length);
    for (Def d : defs) specs.add(d.build(group, null));
    return specs;
  }

  private static Def cmd(String name, int arity, String flags, String acl) {
    return new Def(name, arity, flags, acl);
  }

  /** One declaration under construction; build() derives what Redis derives. */
  private static final class Def {
    private final String name;
    private final int arity;
    private final String flags;
    private final String acl;
    private final List<String> tips = new ArrayList<>();
    private final List<CommandSpec.KeySpec> keySpecs = new ArrayList<>();
    private final List<CommandSpec.History> history = new ArrayList<>();
    private final List<Def> subcommands = new ArrayList<>();
    private String since;
    private String complexity;
    private String summary;
    private String deprecatedSince;
    private String replacedBy;
    private final List<String> docFlags = new ArrayList<>();

    Def(String name, int arity, String flags, String acl) {
      this.name = name;
      this.arity = arity;
      this.flags = flags;
      this.acl = acl;
    }

    Def tips(String... tips) {
      this.tips.addAll(List.of(tips));
      return this;
    }

    /** A key spec for the single key at argv[index]. */
    Def key(String flags, int index) {
      return key(flags, index, 0, 1);
    }

    /** A key spec for keys from argv[index] to lastKey (relative to index; negative: from the end). */
    Def key(String flags, int index, int lastKey, int keyStep) {
      keySpecs.add(new CommandSpec.KeySpec(null,
          CommandFlags.canonical(flags, CommandFlags.KEY_SPEC, "key-spec flag"),
          new CommandSpec.Index(index), new CommandSpec.Range(lastKey, keyStep, 0)));
      return this;
    }

    /**
     * A key spec whose first key follows {@code keyword}, searched from {@code startFrom}
     * (negative: from the end, backwards), the rest as in {@link #key(String, int, int, int)}.
     */
    Def keyword(String flags, String keyword, int startFrom, int lastKey, int keyStep, int limit) {
      keySpecs.add(new CommandSpec.KeySpec(null,
          CommandFlags.canonical(flags, CommandFlags.KEY_SPEC, "key-spec flag"),
          new CommandSpec.Keyword(keyword, startFrom),
          new CommandSpec.Range(lastKey, keyStep, limit)));
      return this;
    }

    /** A key spec whose keys only the command's own key procedure finds (SORT's). */
    Def unknownKey(String flags) {
      keySpecs.add(new CommandSpec.KeySpec(null,
          CommandFlags.canonical(flags, CommandFlags.KEY_SPEC, "key-spec flag"),
          new CommandSpec.UnknownSearch(), new CommandSpec.UnknownKeys()));
      return this;
    }

    /** COMMAND DOCS doc_flags, such as "syscmd". */
    Def docFlags(String... flags) {
      docFlags.addAll(List.of(flags));
      return this;
    }

    /**
     * A key spec whose key count is an argument (SINTERCARD, ZUNIONSTORE, LMPOP...): the count at
     * argv[index + keyNumIdx], the keys from argv[index + firstKey] every keyStep.
     */
    Def keyNum(String flags, int index, int keyNumIdx, int firstKey, int keyStep) {
      keySpecs.add(new CommandSpec.KeySpec(null,
          CommandFlags.canonical(flags, CommandFlags.KEY_SPEC, "key-spec flag"),
          new CommandSpec.Index(index), new CommandSpec.KeyNum(keyNumIdx, firstKey, keyStep)));
      return this;
    }

    /** Notes on the key spec declared just before. */
    Def note(String notes) {
      CommandSpec.KeySpec last = keySpecs.remove(keySpecs.size() - 1);
      keySpecs.add(new CommandSpec.KeySpec(notes, last.flags(), last.beginSearch(),
          last.findKeys()));
      return this;
    }

    Def doc(String since, String complexity, String summary) {
      this.since = since;
      this.complexity = complexity;
      this.summary = summary;
      return this;
    }

    Def history(String version, String description) {
      history.add(new CommandSpec.History(version, description));
      return this;
    }

    Def deprecated(String since, String replacedBy) {
      this.deprecatedSince = since;
      this.replacedBy = replacedBy;
      return this;
    }

    Def sub(Def... subs) {
      subcommands.addAll(List.of(subs));
      return this;
    }

    CommandSpec build(String group, String parent) {
      if (summary == null) throw new IllegalStateException("no doc for " + name);
      List<CommandSpec> subs = new ArrayList<>();
      for (Def d : subcommands) subs.add(d.build(group, name));
      Set<String> declared = CommandFlags.canonical(flags, CommandFlags.COMMAND, "command flag");
      LegacyRange range = LegacyRange.of(keySpecs);
      Set<String> allFlags = declared;
      if (range.movable()) {
        List<String> withMovable = new ArrayList<>(declared);
        withMovable.add(CommandFlags.MOVABLEKEYS);
        allFlags = CommandFlags.canonical(withMovable, CommandFlags.COMMAND, "command flag");
      }
      Set<String> categories = CommandFlags.aclCategories(allFlags,
          CommandFlags.canonical(acl, CommandFlags.ACL, "ACL category"));
      return new CommandSpec(name, parent == null ? name : parent + "|" + name, arity, allFlags,
          range.first(), range.last(), range.step(), List.copyOf(categories), group, summary,
          since, complexity, subs, tips, keySpecs, history, deprecatedSince, replacedBy,
          Set.copyOf(docFlags));
    }
  }

  /**
   * COMMAND INFO's first/last/step, derived from the key specs as Redis's
   * populateCommandLegacyRangeSpec does: consecutive index/range specs with step 1 merge into one
   * range; a single such spec is used as it is (any step); anything else marks the command as
   * having movable keys.
   */
  private record LegacyRange(int first, int last, int step, boolean movable) {
    static LegacyRange of(List<CommandSpec.KeySpec> specs) {
      if (specs.isEmpty()) return new LegacyRange(0, 0, 0, false);
      if (specs.size() == 1 && specs.get(0).beginSearch() instanceof CommandSpec.Index index
          && specs.get(0).findKeys() instanceof CommandSpec.Range r) {
        boolean incomplete = specs.get(0).flags().contains("incomplete");
        int last = r.lastKey() >= 0 ? index.pos() + r.lastKey() : r.lastKey();
        return new LegacyRange(index.pos(), last, r.keyStep(), incomplete);
      }
      boolean movable = false;
      int first = Integer.MAX_VALUE;
      int last = 0;
      int prevLast = 0;
      for (CommandSpec.KeySpec ks : specs) {
        if (!(ks.beginSearch() instanceof CommandSpec.Index index)
            || !(ks.findKeys() instanceof CommandSpec.Range r)) {
          movable = true;
          continue;
        }
        if (r.keyStep() != 1 || (prevLast != 0 && prevLast != index.pos() - 1)) {
          movable = true;
          continue;
        }
        if (ks.flags().contains("incomplete")) movable = true;
        first = Math.min(first, index.pos());
        int lastAbs = r.lastKey() >= 0 ? r.lastKey() + index.pos() : r.lastKey();
        // Redis compares unsigned here, so a negative (from-the-end) last wins over any index.
        last = Integer.compareUnsigned(last, lastAbs) >= 0 ? last : lastAbs;
        prevLast = last;
      }
      if (first == Integer.MAX_VALUE) return new LegacyRange(0, 0, 0, true);
      return new LegacyRange(first, last, 1, movable);
    }
  }
}
