package io.github.samfiji.cli;

import io.github.samfiji.io.ErrorMessages;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The headless entry point: {@code bin/sam-fiji <subcommand> ...}. */
@Command(name = "sam-fiji", mixinStandardHelpOptions = true, version = "sam-fiji 0.1.0",
        description = "Segment Anything (SAM, MobileSAM, MedSAM) in Java, headless.",
        subcommands = {SegmentCommand.class, AutoCommand.class, PropagateCommand.class, EvaluateCommand.class, StudyCommand.class,
            CompareCommand.class, InteractiveEvaluateCommand.class, FineTuneCommand.class, PretrainCommand.class, BenchCommand.class,
            ModelsCommand.class,
            CommandLine.HelpCommand.class})
public final class SamFijiCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * For ImageJ macros, {@code call("io.github.samfiji.cli.SamFijiCli.macro", "evaluate\t--pred\t...")}: the
     * arguments separated by tabs (so paths may contain spaces); returns the exit code as text ("0" = success).
     */
    public static String macro(String tabSeparatedArguments) {
        return Integer.toString(run(tabSeparatedArguments.split("\t")));
    }

    public static int run(String... args) {
        // --debug anywhere (or SAMFIJI_DEBUG set) adds the stack trace to the one-line error; otherwise users see
        // a short message only.
        boolean debug = System.getenv("SAMFIJI_DEBUG") != null || java.util.Arrays.asList(args).contains("--debug");
        String[] rest = java.util.Arrays.stream(args).filter(a -> !a.equals("--debug")).toArray(String[]::new);
        CommandLine cli = new CommandLine(new SamFijiCli());
        // propagate's --point/--box/--object are order-sensitive setters called once per occurrence.
        cli.getSubcommands().get("propagate").setOverwrittenOptionsAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("sam-fiji " + commandLine.getCommandName() + ": " + ErrorMessages.describe(e));
            if (debug) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        // A mistyped option gets its one line and where to read more, not the whole usage text.
        cli.setParameterExceptionHandler((e, ignored) -> {
            CommandLine where = e.getCommandLine();
            String command = where == cli ? "" : where.getCommandName() + " ";
            where.getErr().println("sam-fiji " + command.strip() + (command.isEmpty() ? "" : ": ") + e.getMessage()
                    + " (see: sam-fiji " + command + "--help)");
            return 2;
        });
        try {
            return cli.execute(rest);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // Errors pass picocli's handler; they still get one line and exit status 1.
            cli.getErr().println("sam-fiji: " + ErrorMessages.describe(e));
            if (debug) {
                e.printStackTrace(cli.getErr());
            }
            return 1;
        }
    }
}
