package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;

import java.util.regex.Pattern;

/**
 * Body size limits per endpoint: dataset uploads (and {@code /v1/files}) may be large ({@code tuneforge.limits.upload-body}), base models
 * too ({@code tuneforge.limits.base-model-body}), a batch of observations less so
 * ({@code tuneforge.limits.observations-body}), everything else, {@code /v1} included, is small JSON
 * ({@code tuneforge.limits.json-body}). A declared length over the limit is refused before a byte is read; and
 * since a header may lie (or be absent: a chunked body), every body is also counted as it is read
 * ({@link LimitedBody}) and cut off with 413 at the first byte over the limit. The transport's cap
 * ({@code quarkus.http.limits.max-body-size}) stays a little above the largest limit, for multipart bodies,
 * which Quarkus parses before any JAX-RS reader.
 */
// Application-scoped, so that it is created at the first request, once the configuration mappings exist, not while
// the application class is initialised as an unscoped filter is.
@ApplicationScoped
@Provider
@PreMatching
public class BodyLimitFilter implements ContainerRequestFilter {

    /** Endpoints whose body is a file (POST): a new dataset, a new version of one, an OpenAI-style file. */
    private static final Pattern UPLOAD_PATH = Pattern.compile("/api/v1/datasets(/[^/]+/versions)?|/v1/files");
    /** A base model's directory as an archive or multipart files (POST). */
    private static final String BASE_MODEL_PATH = "/api/v1/base-models";
    /** A batch of observations (POST), up to {@code tuneforge.observations.max-batch} chats. */
    private static final Pattern OBSERVATIONS_PATH = Pattern.compile("/api/v1/models/[^/]+/observations");

    /** A limit and the property that sets it (named in the problem). */
    record Limit(long bytes, String setting) {
    }

    private final Limit upload;
    private final Limit baseModel;
    private final Limit json;
    private final Limit observations;

    public BodyLimitFilter(GatewayConfig config) {
        this.upload = new Limit(config.limits().uploadBody().asLongValue(), "tuneforge.limits.upload-body");
        this.baseModel = new Limit(config.limits().baseModelBody().asLongValue(), "tuneforge.limits.base-model-body");
        this.json = new Limit(config.limits().jsonBody().asLongValue(), "tuneforge.limits.json-body");
        this.observations = new Limit(config.limits().observationsBody().asLongValue(),
                "tuneforge.limits.observations-body");
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String path = stripTrailingSlash(request.getUriInfo().getRequestUri().getPath());
        boolean post = "POST".equals(request.getMethod());
        Limit limit = post && path.equals(BASE_MODEL_PATH) ? baseModel
                : post && UPLOAD_PATH.matcher(path).matches() ? upload
                : post && OBSERVATIONS_PATH.matcher(path).matches() ? observations
                : json;
        String declared = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        long length = 0;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                request.abortWith(ApiException.invalid("Content-Length is not a number: '" + declared + "'").toResponse());
                return;
            }
            if (length > limit.bytes()) {
                request.abortWith(LimitedBody.tooLarge(length, limit, false).toResponse());
                return;
            }
        }
        if (length > 0 || request.getHeaderString("Transfer-Encoding") != null) {
            request.setEntityStream(new LimitedBody(request.getEntityStream(), limit));
        }
    }

    private static String stripTrailingSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
