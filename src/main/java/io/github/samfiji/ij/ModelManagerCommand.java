package io.github.samfiji.ij;

import ij.IJ;
import io.github.samfiji.library.KnownModel;
import io.github.samfiji.library.ModelDownloader;
import io.github.samfiji.library.ModelLibrary;
import io.github.samfiji.library.ModelRegistry;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * SAM Model Manager: downloads a published SAM-family checkpoint into the models folder (resuming an interrupted
 * download, checking size and checksum), adds a local checkpoint to it (copy or link), lists what is installed, or
 * verifies installed published models against their size and checksum.
 * The folder is the one "Segment with Prompt" offers its models from ({@link ModelFolder}).
 */
@Plugin(type = Command.class, label = "SAM Model Manager")
public class ModelManagerCommand implements Command {

    public static final String LIST = "List installed models";
    public static final String DOWNLOAD = "Download a known model";
    public static final String ADD = "Add a local model file";
    public static final String VERIFY = "Verify installed models";

    @Parameter(label = "Action", choices = {LIST, DOWNLOAD, ADD, VERIFY})
    String action = LIST;

    @Parameter(label = "Known model", choices = {ModelRegistry.SAM_VIT_B, ModelRegistry.SAM_VIT_L,
        ModelRegistry.SAM_VIT_H, ModelRegistry.MOBILE_SAM, ModelRegistry.MEDSAM_VIT_B, ModelRegistry.MEDICOSAM_VIT_B,
        ModelRegistry.SAM2_1_HIERA_T, ModelRegistry.SAM2_1_HIERA_S, ModelRegistry.SAM2_1_HIERA_B_PLUS,
        ModelRegistry.SAM2_1_HIERA_L},
            description = "the model to download")
    String known = ModelRegistry.SAM_VIT_B;

    @Parameter(label = "Local file", style = "open", required = false,
            description = "the checkpoint to add (.pth, .pt, .safetensors)")
    File file;

    @Parameter(label = "Link instead of copying", description = "add the local file as a link to where it is")
    boolean link = false;

    @Parameter(label = "Replace an installed file", description = "allow replacing a model file of the same name")
    boolean overwrite = false;

    @Parameter(label = "Mirror URL", required = false,
            description = "download from this folder URL (serving the published file names) instead of the authors' "
                    + "addresses; empty: the authors'")
    String mirror = "";

    @Parameter(label = "Trust a model without checksum", description = "install a model whose authors published no "
            + "checksum (nothing can prove the downloaded file is theirs)")
    boolean trust = false;

    /** What the command reported, line by line (also in the Log window). */
    final List<String> report = new ArrayList<>();

    @Override
    public void run() {
        Path folder = ModelFolder.folder();
        try {
            switch (action) {
                case DOWNLOAD -> download(folder);
                case ADD -> add(folder);
                case LIST -> list(folder);
                case VERIFY -> verify(folder);
                default -> throw new IllegalArgumentException("unknown action '" + action + "'");
            }
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException(e.getFile() + " " + e.getReason(), e);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(e.getFile() + ": " + (e.getReason() != null ? e.getReason() : "not found"), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private void download(Path folder) throws IOException {
        KnownModel model = ModelRegistry.require(known);
        ModelDownloader downloader = new ModelDownloader(mirror == null || mirror.isBlank() ? null
                : URI.create(mirror.trim())).trusting(trust);
        if (model.checksum() == null) {
            say("Note: " + model.title() + ": " + model.note());
        }
        IJ.resetEscape(); // an earlier Escape must not cancel this download at once
        IJProgress progress = new IJProgress("model download");
        try {
            Path installed = downloader.download(model, folder, overwrite, progress);
            say("Installed " + model.title() + " as " + installed);
        } finally {
            progress.done();
        }
    }

    private void add(Path folder) throws IOException {
        if (file == null || file.getPath().isBlank()) {
            throw new IllegalArgumentException("choose the local model file to add");
        }
        IJ.resetEscape();
        IJProgress progress = new IJProgress("add model");
        try {
            Path added = new ModelLibrary(folder).add(file.toPath(), link, overwrite, progress);
            say("Added " + file + (link ? " as a link " : " ") + "to the models folder: " + added);
        } finally {
            progress.done();
        }
    }

    private void verify(Path folder) throws IOException {
        IJ.resetEscape();
        IJProgress progress = new IJProgress("verify models");
        List<String> bad = new ArrayList<>();
        try {
            for (ModelLibrary.Verification v : new ModelLibrary(folder).verify(progress)) {
                say("  " + v.status() + ": " + v.fileName() + ": " + v.message());
                if (!v.ok()) {
                    bad.add(v.fileName());
                }
            }
        } finally {
            progress.done();
        }
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException("installed model(s) not as published: " + String.join(", ", bad)
                    + " (see the Log); download them again");
        }
    }

    private void list(Path folder) throws IOException {
        ModelLibrary library = new ModelLibrary(folder);
        say("SAM models folder: " + folder);
        List<ModelLibrary.Installed> installed = library.installed();
        if (installed.isEmpty()) {
            say("  no models installed");
        }
        for (ModelLibrary.Installed m : installed) {
            say(String.format(Locale.ROOT, "  %s (%s)%s: %s", m.fileName(), m.size() < 0 ? "-" : m.size() + " bytes",
                    m.link() ? ", link" : "", m.remark()));
        }
        say("Known models (Action: '" + DOWNLOAD + "'):");
        for (KnownModel k : ModelRegistry.all()) {
            say("  " + k.id() + ": " + k.title() + ", " + k.sizeText() + (library.isInstalled(k.fileName())
                    ? ", installed" : ", not installed"));
        }
    }

    private void say(String line) {
        report.add(line);
        IJ.log(line);
    }
}
