package flowgraph.neo4jlocal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Neo4j Community embedded with a Bolt connector on 127.0.0.1, for development, tests and CI.
 *
 * <p>Usage: {@code java -Xmx1g -jar neo4j-local.jar [DATA_DIR]}. Environment: NEO4J_PORT (default
 * 7687), NEO4J_USERNAME is always {@code neo4j}, NEO4J_PASSWORD (default {@code flowgraph-dev}) is
 * set as that user's password on every start. LOAD CSV reads {@code file:///} URLs from
 * DATA_DIR/import. SIGTERM (or Ctrl-C) shuts the database down cleanly.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    Path home =
        Path.of(args.length > 0 ? args[0] : env.getOrDefault("NEO4J_DATA", ".neo4j/data"))
            .toAbsolutePath();
    int port = Integer.parseInt(env.getOrDefault("NEO4J_PORT", "7687"));
    String password = env.getOrDefault("NEO4J_PASSWORD", "flowgraph-dev");
    Path importDir = home.resolve("import");
    Files.createDirectories(importDir);

    DatabaseManagementService dbms =
        new DatabaseManagementServiceBuilder(home)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
            .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
            .setConfig(HttpConnector.enabled, false)
            .setConfig(HttpsConnector.enabled, false)
            .setConfig(GraphDatabaseSettings.auth_enabled, true)
            .setConfig(GraphDatabaseSettings.load_csv_file_url_root, importDir)
            .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(512))
            // A dev server has no backups or cluster to feed: keep about 1 GB of transaction
            // logs, not the default 2 days (repeated national-year loads filled 38 GB).
            .setConfig(GraphDatabaseSettings.keep_logical_logs, "1G size")
            .build();

    CountDownLatch stopped = new CountDownLatch(1);
    // The JVM runs shutdown hooks on SIGTERM and SIGINT: close the store cleanly there.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("neo4j-local: shutting down");
                  dbms.shutdown();
                  stopped.countDown();
                }));

    // Embedded Neo4j has no neo4j-admin step: set the dev password through the system database
    // (runs with full rights in-process) so clients authenticate with NEO4J_PASSWORD.
    try {
      dbms.database("system")
          .executeTransactionally(
              "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
    } catch (RuntimeException e) {
      // On a restart the password is usually already set: Neo4j refuses "same as old", fine.
      if (!String.valueOf(rootMessage(e)).contains("cannot be the same")) {
        System.err.println("neo4j-local: cannot set the password: " + rootMessage(e));
        dbms.shutdown();
        System.exit(1);
      }
    }

    System.out.println("neo4j-local: ready on bolt://127.0.0.1:" + port + " data=" + home);
    stopped.await();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage();
  }
}
