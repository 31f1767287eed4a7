package dev.tuneforge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code tuneforge}: the command line of the platform, a client of the gateway's REST API.
 * {@code bin/tuneforge <command>} runs it for every command but up, down, status and test.
 */
@Command(name = "tuneforge", mixinStandardHelpOptions = true, version = "tuneforge 0.1.0",
        description = "Command line of tuneforge, the self-hosted LLM fine-tuning platform. It talks to the"
                + " gateway's REST API with an API key; start with `tuneforge login`.",
        subcommands = {LoginCommand.class, ProjectsCommand.class, KeysCommand.class, DatasetsCommand.class,
                BaseModelsCommand.class, JobsCommand.class, EvalsCommand.class, ModelsCommand.class, DemoCommand.class,
                PipelinesCommand.class, SweepsCommand.class, EventsCommand.class, AdminCommand.class, CommandLine.HelpCommand.class},
        footer = ExitCodes.FOOTER)
public class TuneforgeCli implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    private final CliEnv env;

    public TuneforgeCli(CliEnv env) {
        this.env = env;
    }

    public CliEnv env() {
        return env;
    }

    public static void main(String[] args) {
        System.exit(run(args, CliEnv.system()));
    }

    /** Runs one command line; returns its exit code (see {@link ExitCodes}). */
    public static int run(String[] args, CliEnv env) {
        CommandLine commandLine = new CommandLine(new TuneforgeCli(env));
        commandLine.setOut(env.out());
        commandLine.setErr(env.err());
        commandLine.setExecutionExceptionHandler((exception, command, parsed) -> {
            if (exception instanceof CliException failure) {
                env.err().println("tuneforge: " + failure.getMessage());
                return failure.exitCode();
            }
            env.err().println("tuneforge: unexpected failure: " + exception);
            return ExitCodes.ERROR;
        });
        int code = commandLine.execute(args);
        env.out().flush();
        env.err().flush();
        return code;
    }

    @Override
    public Integer call() {
        return usage(spec, env);
    }

    /** A command group run without a subcommand: its usage on stderr, exit 2. */
    static int usage(CommandSpec spec, CliEnv env) {
        spec.commandLine().usage(env.err());
        return ExitCodes.USAGE;
    }
}
