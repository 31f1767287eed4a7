package dev.tuneforge.gateway.api;

import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/**
 * The OpenAPI document's header (served at {@code /q/openapi}): every operation needs an API key. An operation that
 * needs more than any key of the project names the roles that may call it in its security requirement (OpenAPI 3.1:
 * role names for a non-OAuth scheme), {@link #ADMIN} or {@link #PLATFORM_ADMIN}, so that clients and the generated
 * role tests (TenancyTest) read the rule from the document; the domain checks it ({@code Caller.requireAdmin}).
 */
@OpenAPIDefinition(
        info = @Info(title = "tuneforge gateway", version = "v1",
                description = "Native API of tuneforge. Errors are RFC 9457 problem details whose 'type' is stable;"
                        + " lists take 'limit' and 'after' (the 'next_after' of the previous page)."),
        security = @SecurityRequirement(name = GatewayApi.API_KEY))
@SecurityScheme(securitySchemeName = GatewayApi.API_KEY, type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "An API key: 'Authorization: Bearer tf_...'. Its role (admin, member, read-only) decides what it"
                + " may do in its project: a read-only key only reads (GET); an operation that needs more names the"
                + " roles allowed in its security requirement: 'admin' (a project admin), 'platform-admin' (an admin"
                + " key of the bootstrap project).")
public class GatewayApi extends Application {

    /** The security scheme of every operation. */
    public static final String API_KEY = "apiKey";
    /** An operation for a project admin: the project's keys. */
    public static final String ADMIN = "admin";
    /** An operation for the platform admin: projects, base models, the gateway itself. */
    public static final String PLATFORM_ADMIN = "platform-admin";
}
