package dev.tuneforge.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.gateway.config.GatewayConfig;
import dev.tuneforge.gateway.domain.BaseModelArchive;
import dev.tuneforge.gateway.domain.BaseModelCatalog;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.Page;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import java.io.InputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/v1/base-models}: the platform's catalogue of base models (shared by every project). The
 * platform admin registers a Hugging Face model directory, as an archive or as multipart files; anyone
 * authenticated lists them. See {@link BaseModelCatalog} for what is checked and what lands in S3.
 */
@Path("/api/v1/base-models")
@Produces(MediaType.APPLICATION_JSON)
public class BaseModelResource {

    private final BaseModelCatalog catalog;
    private final CurrentCaller caller;
    private final BaseModelArchive.Limits limits;

    public BaseModelResource(BaseModelCatalog catalog, CurrentCaller caller, GatewayConfig config) {
        this.catalog = catalog;
        this.caller = caller;
        this.limits = new BaseModelArchive.Limits(config.limits().baseModelFiles(),
                config.limits().baseModelUnpacked().asLongValue());
    }

    @POST
    @Consumes({"application/x-tar", "application/gzip", "application/x-gzip", "application/zip",
            MediaType.APPLICATION_OCTET_STREAM})
    @Operation(summary = "Register a base model (platform admin): the body is a .tar, .tar.gz or .zip of a Hugging"
            + " Face model directory (config.json, model.safetensors or its index and shards, tokenizer.json)")
    @SecurityRequirement(name = GatewayApi.API_KEY, scopes = GatewayApi.PLATFORM_ADMIN)
    public Response register(@QueryParam("name") String name, InputStream body) {
        caller.get().requirePlatformAdmin();
        BaseModelCatalog.checkName(name);
        try (BaseModelArchive model = BaseModelArchive.unpack(body, limits)) {
            return registered(catalog.register(name, model));
        }
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Register a base model (platform admin) from multipart files: each part's file name is its"
            + " path in the model directory")
    @SecurityRequirement(name = GatewayApi.API_KEY, scopes = GatewayApi.PLATFORM_ADMIN)
    public Response registerFiles(@QueryParam("name") String name, @RestForm(FileUpload.ALL) List<FileUpload> files) {
        caller.get().requirePlatformAdmin();
        BaseModelCatalog.checkName(name);
        if (files == null || files.isEmpty()) {
            throw ApiException.missing("send the model's files as multipart parts with file names");
        }
        Map<String, java.nio.file.Path> parts = new LinkedHashMap<>();
        for (FileUpload file : files) {
            if (parts.put(file.fileName(), file.uploadedFile()) != null) {
                throw ApiException.invalid("'" + file.fileName() + "' appears twice");
            }
        }
        try (BaseModelArchive model = BaseModelArchive.ofFiles(parts, limits)) {
            return registered(catalog.register(name, model));
        }
    }

    @GET
    @Operation(summary = "The registered base models: their manifests (files, sha256, config)")
    public Page<JsonNode> list() {
        caller.get();
        List<JsonNode> manifests = catalog.list();
        return new Page<>(manifests, false, null);
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "One base model's manifest")
    public JsonNode get(@PathParam("name") String name) {
        caller.get();
        return catalog.find(name).orElseThrow(() -> ApiException.notFound("no base model '" + name + "'"));
    }

    private static Response registered(BaseModelCatalog.Registration registration) {
        String name = registration.manifest().path("name").asText();
        return (registration.created() ? Response.created(URI.create("/api/v1/base-models/" + name)) : Response.ok())
                .entity(registration.manifest()).build();
    }
}
