package dev.tuneforge.gateway.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The gateway's {@code tuneforge.*} settings, one group per concern; their defaults and what each is for are in
 * {@code application.properties}. Not here: {@code tuneforge.serving.*} ({@link ServingConfig}, its own mapping, so
 * that the server pool's tests can build one) and what service-kit reads itself ({@code tuneforge.s3.*},
 * {@code tuneforge.outbox.*}, {@code tuneforge.inbox.*}, {@code tuneforge.messaging.*}), which Quarkus lets a mapping
 * with this prefix ignore.
 *
 * <p>A runtime mapping: a bean that reads it must not be created at static init (a JAX-RS filter is, unless it has a
 * normal scope: see {@code BodyLimitFilter}).
 */
@ConfigMapping(prefix = "tuneforge")
public interface GatewayConfig {

    /** The project the first start creates, whose admin key is the platform admin. */
    String bootstrapProject();

    /** Presets the first admin key's secret (a Kubernetes Secret, a test's fixed key); never logged. */
    Optional<String> adminKey();

    /** Where the first start writes a generated admin secret (owner-only). */
    Optional<Path> adminKeyFile();

    Oidc oidc();

    RateLimit rateLimit();

    Limits limits();

    Events events();

    Artifacts artifacts();

    /** {@code tuneforge.oidc.*}: the claims an OIDC access token names its project and role in. */
    interface Oidc {

        @WithDefault("tuneforge_project")
        String projectClaim();

        @WithDefault("tuneforge_role")
        String roleClaim();
    }

    /** {@code tuneforge.rate-limit.*}: each key's token bucket. */
    interface RateLimit {

        int capacity();

        double refillPerSecond();
    }

    /** {@code tuneforge.limits.*}: body sizes per endpoint, and what a base model may unpack to. */
    interface Limits {

        MemorySize uploadBody();

        MemorySize jsonBody();

        MemorySize baseModelBody();

        /** A batch of observations ({@code POST /api/v1/models/{name}/observations}). */
        MemorySize observationsBody();

        MemorySize baseModelUnpacked();

        int baseModelFiles();
    }

    /** {@code tuneforge.events.*}: the live event streams (Server-Sent Events). */
    interface Events {

        Duration pollInterval();

        int maxStreamsPerKey();

        Duration keyCheckInterval();
    }

    /** {@code tuneforge.artifacts.*}: model artifacts. */
    interface Artifacts {

        /** How long a presigned URL stays valid. */
        Duration presignExpiry();
    }
}
