package dev.tuneforge.gateway.api;

import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** The OpenAPI document's header (served at {@code /q/openapi}): every operation needs an API key. */
@OpenAPIDefinition(
        info = @Info(title = "tuneforge gateway", version = "v1",
                description = "Native API of tuneforge. Errors are RFC 9457 problem details whose 'type' is stable;"
                        + " lists take 'limit' and 'after' (the 'next_after' of the previous page)."),
        security = @SecurityRequirement(name = "apiKey"))
@SecurityScheme(securitySchemeName = "apiKey", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "An API key: 'Authorization: Bearer tf_...'")
public class GatewayApi extends Application {
}
