package io.github.samfiji.cli;

import io.github.samfiji.library.KnownModel;
import io.github.samfiji.library.ModelDownloader;
import io.github.samfiji.library.ModelLibrary;
import io.github.samfiji.library.ModelRegistry;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sam-fiji models list|download|add}: the models folder from the command line. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List, download and add SAM-family model checkpoints in a models folder.",
        subcommands = {ModelsCommand.ListModels.class, ModelsCommand.Download.class, ModelsCommand.Add.class,
            ModelsCommand.Verify.class})
public final class ModelsCommand implements Runnable {

    /** The folder when --folder is not given: $SAMFIJI_MODELS_FOLDER, else ~/.sam-fiji/models. */
    static Path defaultFolder() {
        String env = System.getenv("SAMFIJI_MODELS_FOLDER");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".sam-fiji", "models");
    }

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every subcommand has. */
    static class FolderOption {
        @Option(names = "--folder", paramLabel = "DIR",
                description = "the models folder (default: $SAMFIJI_MODELS_FOLDER, else ~/.sam-fiji/models; "
                        + "Fiji's own is Fiji.app/models)")
        Path folder;

        Path folder() {
            return folder != null ? folder : defaultFolder();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the installed models and the known ones that can be downloaded.")
    static final class ListModels implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        FolderOption folder = new FolderOption();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            var out = spec.commandLine().getOut();
            ModelLibrary library = new ModelLibrary(folder.folder());
            out.println("models folder: " + library.folder().toAbsolutePath());
            var installed = library.installed();
            if (installed.isEmpty()) {
                out.println("installed: none");
            } else {
                out.println("installed:");
                for (ModelLibrary.Installed m : installed) {
                    out.printf(Locale.ROOT, "  %-28s %14s  %s%s%n", m.fileName(),
                            m.size() < 0 ? "-" : m.size() + " B", m.remark(), m.link() ? " (link)" : "");
                }
            }
            out.println("known (sam-fiji models download ID):");
            for (KnownModel k : ModelRegistry.all()) {
                out.printf(Locale.ROOT, "  %-16s %-36s %-12s %s%n", k.id(), k.title(), k.sizeText(),
                        library.isInstalled(k.fileName()) ? "installed" : "not installed");
            }
            return 0;
        }
    }

    @Command(name = "download", mixinStandardHelpOptions = true,
            description = "Downloads a known model into the models folder, resuming an interrupted download and "
                    + "checking size and checksum. Offline, it says where to put the file instead.")
    static final class Download implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "a known model (see 'models list'), e.g. sam_vit_b")
        String id;

        @picocli.CommandLine.Mixin
        FolderOption folder = new FolderOption();

        @Option(names = "--overwrite", description = "replace an installed file of the same name")
        boolean overwrite;

        @Option(names = "--mirror", paramLabel = "URL",
                description = "download from this folder URL (serving the published file names) instead of the "
                        + "authors' addresses (http, https, or file: for a folder on a share)")
        URI mirror;

        @Option(names = "--trust", description = "install a model whose authors published no checksum (nothing can "
                + "prove the file is theirs)")
        boolean trust;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            KnownModel model = ModelRegistry.require(id);
            ModelDownloader downloader = new ModelDownloader(mirror).trusting(trust);
            var err = spec.commandLine().getErr();
            if (model.checksum() == null) {
                err.println("note: " + model.title() + ": " + model.note());
            }
            err.println("downloading " + model.title() + " (" + model.sizeText() + ") from " + downloader.source(model));
            Path file = downloader.download(model, folder.folder(), overwrite, new ConsoleProgress(err));
            spec.commandLine().getOut().println(file.toAbsolutePath());
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Checks the installed published models against their published size and checksum "
                    + "(exit code 1 if one does not match).")
    static final class Verify implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        FolderOption folder = new FolderOption();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            var out = spec.commandLine().getOut();
            int bad = 0;
            for (ModelLibrary.Verification v : new ModelLibrary(folder.folder())
                    .verify(new ConsoleProgress(spec.commandLine().getErr()))) {
                out.println(String.format("%-11s", v.status()) + v.fileName() + ": " + v.message());
                bad += v.ok() ? 0 : 1;
            }
            return bad == 0 ? 0 : 1;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Adds a local checkpoint (.pth, .pt, .safetensors; a JSON of the same name comes along) to "
                    + "the models folder: copied, or linked with --link.")
    static final class Add implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "the checkpoint file")
        Path file;

        @picocli.CommandLine.Mixin
        FolderOption folder = new FolderOption();

        @Option(names = "--link", description = "make a symbolic link instead of a copy")
        boolean link;

        @Option(names = "--overwrite", description = "replace an installed file of the same name")
        boolean overwrite;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!Files.exists(file)) {
                throw new java.nio.file.NoSuchFileException(file.toString(), null, "model file not found");
            }
            Path added = new ModelLibrary(folder.folder()).add(file, link, overwrite,
                    new ConsoleProgress(spec.commandLine().getErr()));
            spec.commandLine().getOut().println(added.toAbsolutePath());
            return 0;
        }
    }
}
