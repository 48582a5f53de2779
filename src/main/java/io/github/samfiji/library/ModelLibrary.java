package io.github.samfiji.library;

import io.github.samfiji.io.Progress;
import io.github.samfiji.io.OutputFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** A models folder: what is installed in it, and adding a local checkpoint to it. */
public final class ModelLibrary {

    /** An installed model file; {@code known} when its name and size are those of a published model. */
    public record Installed(String fileName, Path path, long size, boolean link, Optional<KnownModel> known,
                            String remark) {
    }

    private final Path folder;

    public ModelLibrary(Path folder) {
        this.folder = folder;
    }

    public Path folder() {
        return folder;
    }

    /** The model files of the folder, sorted by name; empty when the folder does not exist. */
    public List<Installed> installed() throws IOException {
        List<Installed> out = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> CheckpointFiles.isModelName(p.getFileName().toString())).sorted().toList();
        }
        for (Path p : files) {
            String name = p.getFileName().toString();
            boolean link = Files.isSymbolicLink(p);
            if (!Files.isRegularFile(p)) {
                out.add(new Installed(name, p, -1, link, Optional.empty(), "broken link: its target is missing"));
                continue;
            }
            long size = Files.size(p);
            Optional<KnownModel> known = ModelRegistry.byFileName(name);
            String remark;
            if (known.isEmpty()) {
                remark = "local model";
            } else if (!known.get().hasSize()) {
                remark = known.get().title();
            } else if (known.get().size() == size) {
                remark = known.get().title();
            } else {
                remark = known.get().title() + "? size differs from the published " + known.get().size() + " bytes";
                known = Optional.empty();
            }
            out.add(new Installed(name, p, size, link, known, remark));
        }
        return out;
    }

    /** The outcome of checking an installed file against its published size and checksum. */
    public record Verification(String fileName, boolean ok, boolean checked, String message) {

        /** One word for lists: ok (checked and matching), UNVERIFIED (nothing published to check), MISMATCH. */
        public String status() {
            return !ok ? "MISMATCH" : checked ? "ok" : "UNVERIFIED";
        }
    }

    /**
     * Checks the installed files that bear a published model's name against its size and checksum (where
     * published); other files are reported as not verifiable. A file someone put into the folder by hand is checked
     * this way.
     */
    public List<Verification> verify(Progress progress) throws IOException {
        List<Verification> out = new ArrayList<>();
        for (Installed m : installed()) {
            Optional<KnownModel> known = ModelRegistry.byFileName(m.fileName());
            if (known.isEmpty()) {
                out.add(new Verification(m.fileName(), true, false, "not a published model: nothing to check against"));
                continue;
            }
            try {
                verifyPublished(known.get(), m.path(), progress);
                boolean checked = known.get().checksum() != null;
                out.add(new Verification(m.fileName(), true, checked, checked
                        ? "size and " + known.get().checksum().algorithm() + " checksum match"
                        : "no published checksum, so any checkpoint under this name passes (" + known.get().note() + ")"));
            } catch (ModelException e) {
                out.add(new Verification(m.fileName(), false, true, e.getMessage()));
            }
        }
        return out;
    }

    /** Whether a model of this file name is installed. */
    public boolean isInstalled(String fileName) {
        return Files.exists(folder.resolve(fileName));
    }

    /**
     * Adds a checkpoint the user has (downloaded by hand, fine-tuned, shared by a colleague) to the folder, under its
     * own name: copied (atomically, with progress) or, when {@code link}, as a symbolic link to where it is. A JSON
     * description of the same name beside it comes along. A file bearing a published model's name (e.g. downloaded
     * by hand on another computer) is checked against its published size and checksum first. Never replaces an
     * installed file unless asked.
     */
    public Path add(Path source, boolean link, boolean overwrite, Progress progress) throws IOException {
        if (!Files.isRegularFile(source)) {
            throw new NoSuchFileException(source.toString(), null, "model file not found");
        }
        String name = source.getFileName().toString();
        if (!CheckpointFiles.isModelName(name)) {
            throw new ModelException(source + " is not a model file: a .pth, .pt or .safetensors checkpoint is expected");
        }
        if (!io.github.samfiji.checkpoint.StateDict.isCheckpointFile(source)) {
            throw new ModelException(source + " does not look like a checkpoint (neither a PyTorch zip nor "
                    + "safetensors); was the download complete?");
        }
        Optional<KnownModel> known = ModelRegistry.byFileName(name);
        if (known.isPresent()) {
            verifyPublished(known.get(), source, progress);
        }
        Path target = folder.resolve(name);
        if (Files.exists(target) && Files.isSameFile(source, target)) {
            return target; // it is installed already, in place
        }
        if (!overwrite && Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null,
                    "is installed already; choose another file name or allow replacing it (--overwrite)");
        }
        Files.createDirectories(folder);
        String stem = name.substring(0, name.lastIndexOf('.'));
        Path json = source.resolveSibling(stem + ".json");
        if (link) {
            linkAtomically(source.toAbsolutePath(), target);
            if (Files.isRegularFile(json)) {
                linkAtomically(json.toAbsolutePath(), folder.resolve(stem + ".json"));
            }
        } else {
            OutputFiles.write(target, overwrite, temp -> copy(source, temp, progress));
            if (Files.isRegularFile(json)) {
                OutputFiles.write(folder.resolve(stem + ".json"), overwrite, temp -> Files.copy(json, temp,
                        StandardCopyOption.REPLACE_EXISTING));
            }
        }
        if (known.isPresent()) {
            installSidecar(known.get(), target);
        }
        progress.update(1, name + " added");
        return target;
    }

    /**
     * Writes the JSON description a published model needs beside its installed file (MedSAM: its preprocessing), unless
     * one is there already: a description the user wrote or brought along is never replaced.
     */
    static void installSidecar(KnownModel model, Path installed) throws IOException {
        String json = model.sidecarJson();
        Path sidecar = io.github.samfiji.checkpoint.ModelLoader.sidecarOf(installed);
        if (json != null && !Files.exists(sidecar, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            OutputFiles.writeString(sidecar, false, json);
        }
    }

    /** A file under a published model's name must be that model: same size, same checksum (where published). */
    private static void verifyPublished(KnownModel model, Path source, Progress progress) throws IOException {
        long size = Files.size(source);
        if (model.hasSize() && size != model.size()) {
            throw new ModelException(source + " has " + size + " bytes, but the published " + model.fileName() + " ("
                    + model.title() + ") has " + model.size() + ": it is incomplete or another file; download it again "
                    + "or rename it if it is a different model");
        }
        if (model.checksum() != null && !model.checksum().matches(source, progress)) {
            throw new ModelException(source + " does not match the published checksum of " + model.fileName() + " ("
                    + model.checksum() + "): it is damaged or another file; download it again or rename it if it is "
                    + "a different model");
        }
    }

    private static void linkAtomically(Path source, Path target) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".link");
        Files.createSymbolicLink(temp, source);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void copy(Path source, Path target, Progress progress) throws IOException {
        long size = Files.size(source);
        long done = 0;
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(target)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
                done += n;
                progress.update(size == 0 ? 1 : (double) done / size, "copying " + source.getFileName() + ": "
                        + Units.bytes(done) + " of " + Units.bytes(size));
                progress.checkCancelled();
            }
        }
    }
}
