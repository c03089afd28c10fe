/*
 * Starts DynamoDB Local listening on one address only (127.0.0.1 unless -Ddynamodb.host says
 * otherwise). DynamoDB Local has no option for its listen address: its Jetty server binds every
 * interface. This launcher builds the server exactly as DynamoDB Local's own main does, from the
 * same command-line options, sets the host on its connectors, then starts it, and says so once it
 * listens: "LoopbackDynamoDBLocal listening on <host>:<port>" (local/dynamodb.ts waits for that line;
 * a port taken by another process fails the start with a BindException instead).
 *
 * Compiled once by local/dynamodb.ts with the Java runtime's own compiler module.
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("dynamodb.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
    for (Connector connector : server.getConnectors()) {
      System.out.println("LoopbackDynamoDBLocal listening on " + host + ":" + ((ServerConnector) connector).getLocalPort());
    }
  }
}
