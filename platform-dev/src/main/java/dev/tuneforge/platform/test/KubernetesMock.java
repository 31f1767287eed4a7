package dev.tuneforge.platform.test;

import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/**
 * fabric8's Kubernetes API mock server in CRUD mode (objects are stored, watches work) with expectations on top
 * (pod logs, which CRUD mode does not serve), as a Quarkus test resource: the service talks to it through the
 * property in the init argument {@value #PROPERTY} (default {@code tuneforge.trainer.kubernetes.master-url}); a test
 * gets it in a field annotated {@link Server}.
 */
public class KubernetesMock implements QuarkusTestResourceLifecycleManager {

    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Server { }

    /** The init argument naming the service's master-url property. */
    public static final String PROPERTY = "master-url-property";

    private KubernetesMockServer server;
    private String property = "tuneforge.trainer.kubernetes.master-url";

    @Override
    public void init(Map<String, String> initArgs) {
        property = initArgs.getOrDefault(PROPERTY, property);
    }

    @Override
    public Map<String, String> start() {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(), responses,
                new KubernetesMixedDispatcher(responses), false);
        server.init();
        return Map.of(property, server.url("/"));
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(server,
                new TestInjector.AnnotatedAndMatchesType(Server.class, KubernetesMockServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.destroy();
        }
    }
}
