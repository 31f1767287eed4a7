package dev.tuneforge.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tuneforge.gateway.domain.DomainException;
import dev.tuneforge.kit.messaging.TransientFaults;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error leaves as a problem document with a stable type, including the framework's own; under {@code /v1} in
 * OpenAI's shape ({@link OpenAiError}, and {@link OpenAiErrorShape} for the problem documents made there).
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return e.toResponse();
    }

    /** A domain refusal: its reason decides the status ({@link DomainProblems}). */
    @ServerExceptionMapper
    public Response domain(DomainException e) {
        return DomainProblems.response(e);
    }

    /** An error of the OpenAI-compatible API under {@code /v1}, in OpenAI's shape. */
    @ServerExceptionMapper
    public Response openAi(OpenAiError e) {
        return e.toResponse();
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return Problem.response(Response.Status.NOT_FOUND, "not-found", "Not found", "no such resource");
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e) {
        Response problem = Problem.response(Response.Status.METHOD_NOT_ALLOWED, "method-not-allowed",
                "Method not allowed", "this resource does not support the method; allowed: "
                        + e.getResponse().getAllowedMethods());
        return Response.fromResponse(problem).allow(e.getResponse().getAllowedMethods()).build();
    }

    @ServerExceptionMapper
    public Response unsupported(NotSupportedException e) {
        return Problem.response(Response.Status.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                "Unsupported media type", "this resource does not accept that Content-Type");
    }

    @ServerExceptionMapper
    public Response notAcceptable(NotAcceptableException e) {
        return Problem.response(Response.Status.NOT_ACCEPTABLE, "not-acceptable", "Not acceptable",
                "this resource cannot produce any media type the Accept header asks for");
    }

    @ServerExceptionMapper
    public Response unreadableJson(JsonProcessingException e) {
        return Problem.response(Response.Status.BAD_REQUEST, "invalid-body", "Invalid body",
                "the body is not valid JSON for this request: " + e.getOriginalMessage());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof ApiException api) {
                return api.toResponse(); // a reader's failure wrapped as 400: a body over its limit (LimitedBody)
            }
            if (cause instanceof DomainException domain) {
                return DomainProblems.response(domain);
            }
        }
        int status = e.getResponse().getStatus();
        if (status == 400) {
            return Problem.response(400, "invalid-body", "Invalid body",
                    e.getMessage() == null ? "the request could not be read" : e.getMessage());
        }
        Response.StatusType type = e.getResponse().getStatusInfo();
        return Problem.response(status, "http-" + status, type.getReasonPhrase(), e.getMessage());
    }

    /** Seconds a client waits before sending a request answered 503 again. */
    static final int RETRY_AFTER_SECONDS = 2;

    /**
     * A transient fault of what the gateway depends on (its database, the object store: a restart, a lost
     * connection) is 503 with {@code Retry-After}: the request's transaction was rolled back, and the same request
     * sent again a little later can succeed (the CLI and the official SDKs do send it again). Anything else is 500.
     */
    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        if (TransientFaults.isTransient(e)) {
            LOG.warnf("a service the gateway depends on failed, answered 503: %s", e.toString());
            return Response.fromResponse(Problem.response(Response.Status.SERVICE_UNAVAILABLE, "unavailable",
                            "Service unavailable", "the gateway's database or object store did not answer; "
                                    + "the request was not carried out, send it again in a moment"))
                    .header("Retry-After", RETRY_AFTER_SECONDS).build();
        }
        LOG.error("unexpected failure answering a request", e);
        return Problem.response(Response.Status.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                "the gateway failed to answer; the log has the details");
    }
}
