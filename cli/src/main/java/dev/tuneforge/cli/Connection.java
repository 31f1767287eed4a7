package dev.tuneforge.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Optional;

/** Options of every command that talks to the gateway: where, with which key, and how to print. */
public class Connection {

    static final String DEFAULT_URL = "http://127.0.0.1:8080";

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--url", paramLabel = "URL",
            description = "Gateway URL. Default: $TUNEFORGE_URL, else the URL saved by `login`, else " + DEFAULT_URL + ".")
    String url;

    @Option(names = "--key", paramLabel = "KEY",
            description = "API key (tf_...). Default: $TUNEFORGE_API_KEY, else the key saved by `login`.")
    String key;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Config file written by `login`. Default: $TUNEFORGE_CONFIG, else ~/.config/tuneforge/config.json.")
    Path config;

    @Option(names = "--json", description = "Print JSON (one document, or one per line when following) for scripts.")
    boolean json;

    CliEnv env() {
        return ((TuneforgeCli) mixee.root().userObject()).env();
    }

    Path configFile() {
        return config != null ? config : env().defaultConfigFile();
    }

    String resolvedUrl() {
        if (url != null) {
            return url;
        }
        String fromEnv = env().env().get("TUNEFORGE_URL");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        return saved().map(CliConfig::url).orElse(DEFAULT_URL);
    }

    /** --key, else $TUNEFORGE_API_KEY: a key given for this command, not the saved one. */
    Optional<String> explicitKey() {
        if (key != null) {
            return Optional.of(key);
        }
        String fromEnv = env().env().get("TUNEFORGE_API_KEY");
        return fromEnv != null && !fromEnv.isBlank() ? Optional.of(fromEnv) : Optional.empty();
    }

    Optional<String> resolvedKey() {
        return explicitKey().or(() -> saved().map(CliConfig::key));
    }

    /** A client with the resolved URL and key; not being logged in is an auth failure (exit 3). */
    GatewayClient client() {
        String apiKey = resolvedKey().orElseThrow(() -> new CliException(ExitCodes.AUTH,
                "not logged in: run `tuneforge login --key tf_...` (or pass --key, or set TUNEFORGE_API_KEY)"));
        return new GatewayClient(resolvedUrl(), apiKey);
    }

    private Optional<CliConfig> saved() {
        return CliConfig.load(configFile());
    }
}
