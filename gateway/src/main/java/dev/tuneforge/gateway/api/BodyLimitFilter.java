package dev.tuneforge.gateway.api;

import io.quarkus.runtime.configuration.MemorySize;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.regex.Pattern;

/**
 * Body size limits per endpoint: dataset uploads may be large ({@code tuneforge.limits.upload-body}), base models
 * too ({@code tuneforge.limits.base-model-body}), everything else, {@code /v1} included, is small JSON
 * ({@code tuneforge.limits.json-body}). A declared length over the limit is refused before a byte is read; and
 * since a header may lie (or be absent: a chunked body), every body is also counted as it is read
 * ({@link LimitedBody}) and cut off with 413 at the first byte over the limit. The transport's cap
 * ({@code quarkus.http.limits.max-body-size}) stays a little above the largest limit, for multipart bodies,
 * which Quarkus parses before any JAX-RS reader.
 */
@Provider
@PreMatching
public class BodyLimitFilter implements ContainerRequestFilter {

    /** Endpoints whose body is a file (POST): a new dataset, or a new version of one. */
    private static final Pattern UPLOAD_PATH = Pattern.compile("/api/v1/datasets(/[^/]+/versions)?");
    /** A base model's directory as an archive or multipart files (POST). */
    private static final String BASE_MODEL_PATH = "/api/v1/base-models";

    private final long uploadLimit;
    private final long baseModelLimit;
    private final long jsonLimit;

    public BodyLimitFilter(@ConfigProperty(name = "tuneforge.limits.upload-body") MemorySize uploadLimit,
                           @ConfigProperty(name = "tuneforge.limits.base-model-body") MemorySize baseModelLimit,
                           @ConfigProperty(name = "tuneforge.limits.json-body") MemorySize jsonLimit) {
        this.uploadLimit = uploadLimit.asLongValue();
        this.baseModelLimit = baseModelLimit.asLongValue();
        this.jsonLimit = jsonLimit.asLongValue();
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String path = stripTrailingSlash(request.getUriInfo().getRequestUri().getPath());
        boolean post = "POST".equals(request.getMethod());
        String setting = post && path.equals(BASE_MODEL_PATH) ? "tuneforge.limits.base-model-body"
                : post && UPLOAD_PATH.matcher(path).matches() ? "tuneforge.limits.upload-body"
                : "tuneforge.limits.json-body";
        long limit = switch (setting) {
            case "tuneforge.limits.base-model-body" -> baseModelLimit;
            case "tuneforge.limits.upload-body" -> uploadLimit;
            default -> jsonLimit;
        };
        String declared = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        long length = 0;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                request.abortWith(ApiException.invalid("Content-Length is not a number: '" + declared + "'").toResponse());
                return;
            }
            if (length > limit) {
                request.abortWith(LimitedBody.tooLarge(length, limit, setting, false).toResponse());
                return;
            }
        }
        if (length > 0 || request.getHeaderString("Transfer-Encoding") != null) {
            request.setEntityStream(new LimitedBody(request.getEntityStream(), limit, setting));
        }
    }

    private static String stripTrailingSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
