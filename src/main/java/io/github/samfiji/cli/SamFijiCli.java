package io.github.samfiji.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The headless entry point: {@code bin/sam-fiji <subcommand> ...}. */
@Command(name = "sam-fiji", mixinStandardHelpOptions = true, version = "sam-fiji 0.1.0",
        description = "Segment Anything (SAM, MobileSAM, MedSAM) in Java, headless.",
        subcommands = {SegmentCommand.class, AutoCommand.class, PropagateCommand.class, EvaluateCommand.class, StudyCommand.class,
            CompareCommand.class, InteractiveEvaluateCommand.class, FinetuneCommand.class, BenchCommand.class,
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
        CommandLine cli = new CommandLine(new SamFijiCli());
        // propagate's --point/--box/--object are order-sensitive setters called once per occurrence.
        cli.getSubcommands().get("propagate").setOverwrittenOptionsAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("sam-fiji " + commandLine.getCommandName() + ": " + InputFiles.describe(e));
            if (System.getenv("SAMFIJI_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cli.execute(args);
    }
}
