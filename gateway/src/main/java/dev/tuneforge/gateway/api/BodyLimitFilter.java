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
 * Body size limits per endpoint, checked on the declared length before a byte is read: dataset uploads
 * may be large ({@code tuneforge.limits.upload-body}), base models too ({@code tuneforge.limits.base-model-body}),
 * everything else is small JSON ({@code tuneforge.limits.json-body}). A JSON body of unknown length (chunked) is refused with 411;
 * an upload of unknown length is capped by {@code quarkus.http.limits.max-body-size}.
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
        boolean baseModel = post && path.equals(BASE_MODEL_PATH);
        boolean upload = baseModel || post && UPLOAD_PATH.matcher(path).matches();
        long limit = baseModel ? baseModelLimit : upload ? uploadLimit : jsonLimit;
        String declared = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        if (declared == null) {
            if (!upload && request.getHeaderString("Transfer-Encoding") != null) {
                request.abortWith(Problem.response(411, "length-required", "Length required",
                        "send Content-Length with a request body (at most " + limit + " bytes here)"));
            }
            return;
        }
        long length;
        try {
            length = Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            request.abortWith(ApiException.invalid("Content-Length is not a number: '" + declared + "'").toResponse());
            return;
        }
        if (length > limit) {
            request.abortWith(Problem.response(413, "payload-too-large", "Payload too large",
                    "the body has " + length + " bytes; this endpoint takes at most " + limit
                            + (baseModel ? " (tuneforge.limits.base-model-body)" : "")));
        }
    }

    private static String stripTrailingSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
