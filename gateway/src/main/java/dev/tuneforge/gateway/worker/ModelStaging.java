package dev.tuneforge.gateway.worker;

import dev.tuneforge.gateway.domain.ChatTarget;

import java.io.IOException;
import java.nio.file.Path;

/** Puts the files a chat target is served from on this machine, for {@code worker serve}. */
interface ModelStaging {

    /**
     * The model directory the server of {@code target}'s key starts from, complete on return: the full model of a
     * full-model version, else the base model (its adapters come with {@link #adapter}).
     */
    Path model(ChatTarget target) throws IOException;

    /** The adapter directory of an adapter version ({@code target.adapterId()} not null), complete on return. */
    Path adapter(ChatTarget target) throws IOException;

    /**
     * Copies an adapter version's adapter (its {@code adapter_config.json} and weights) to {@code prefix} in S3, for a
     * remote server, unless it is there: the manifest is written last, so a prefix with one is complete.
     */
    void publish(ChatTarget target, String prefix) throws IOException;
}
