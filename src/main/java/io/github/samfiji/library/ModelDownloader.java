package io.github.samfiji.library;

import io.github.samfiji.io.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads a model checkpoint into a models folder: with progress and cancellation, resuming an interrupted
 * download with an HTTP Range request, checking size and checksum, and moving the file to its final name only when
 * it is complete and correct. The partial file ({@code .NAME.part} in the same folder) survives an interruption or a
 * cancellation so that the next attempt continues it; a corrupt one is deleted.
 */
public final class ModelDownloader {

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int CHUNK = 1 << 20;

    private static final int CONNECT_TIMEOUT_MS = 20_000;
    /** The most a model without a published size may take (ViT-H, the largest, is 2.6 GB). */
    static final long MAX_UNPUBLISHED_SIZE = 4L << 30;

    private final URI mirror;
    private int readTimeoutMs = 60_000;
    private boolean trusted;

    public ModelDownloader() {
        this(null);
    }

    /**
     * @param mirror a folder URL that serves the checkpoints under their published file names (an institute's
     *               copy, or a test server); null for the authors' addresses
     */
    public ModelDownloader(URI mirror) {
        this.mirror = mirror;
    }

    /** How long a transfer may receive nothing before it counts as stalled (and is left to be resumed). */
    public ModelDownloader readTimeout(Duration timeout) {
        this.readTimeoutMs = (int) Math.max(1, timeout.toMillis());
        return this;
    }

    /**
     * Allows installing a model whose checksum was never published: then nothing proves the file is the authors'
     * (a mirror or a man in the middle could send any checkpoint), so the user has to say so.
     */
    public ModelDownloader trusting(boolean trust) {
        this.trusted = trust;
        return this;
    }

    /** Where this downloader fetches a model from. */
    public URI source(KnownModel model) {
        if (mirror == null) {
            return model.url();
        }
        String base = mirror.toString().endsWith("/") ? mirror.toString() : mirror + "/";
        return URI.create(base).resolve(model.fileName());
    }

    /** The partial file kept between attempts. */
    public static Path partial(Path folder, String fileName) {
        return folder.resolve("." + fileName + ".part");
    }

    /**
     * Downloads a known model into the folder; returns the installed file.
     *
     * @throws FileAlreadyExistsException when the model is installed already and overwrite is false
     * @throws ModelException             when it cannot be fetched (with what to do instead) or is corrupt
     * @throws CancellationException      when the progress asked to stop (the partial file is kept for resuming)
     */
    public Path download(KnownModel model, Path folder, boolean overwrite, Progress progress) throws IOException {
        Path target = folder.resolve(model.fileName());
        if (!overwrite && Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null,
                    "is installed already; delete it or allow replacing it (--overwrite) to download it again");
        }
        if (model.checksum() == null && !trusted) {
            throw new ModelException(model.title() + " has no published checksum, so its download cannot be verified ("
                    + model.note() + "); to install it anyway, say that you trust its source: --trust (Fiji: tick "
                    + "'Trust a model without checksum')");
        }
        URI uri = source(model);
        String scheme = String.valueOf(uri.getScheme()).toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("file")) {
            throw new ModelException("cannot download from " + uri + ": only http, https and file: addresses are "
                    + "supported (a folder on a share is a file: address, e.g. file:///mnt/models/)");
        }
        Files.createDirectories(folder);
        Path part = partial(folder, model.fileName());
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (model.hasSize() && have > model.size()) {
            Files.delete(part);
            have = 0;
        }
        if (scheme.equals("file")) {
            copyLocal(model, Path.of(uri), part, progress);
        } else if (!model.hasSize() || have < model.size()) {
            fetch(model, uri, folder, part, have, progress);
        }
        verify(model, part, progress);
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
        ModelLibrary.installSidecar(model, target);
        progress.update(1, model.fileName() + " installed");
        return target;
    }

    private void fetch(KnownModel model, URI uri, Path folder, Path part, long have, Progress progress)
            throws IOException {
        HttpURLConnection connection;
        int status;
        try {
            connection = (HttpURLConnection) uri.toURL().openConnection();
            connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
            connection.setReadTimeout(readTimeoutMs);
            connection.setInstanceFollowRedirects(true);
            connection.setRequestProperty("User-Agent", "sam-fiji model manager");
            if (have > 0) {
                connection.setRequestProperty("Range", "bytes=" + have + "-");
            }
            status = connection.getResponseCode();
        } catch (ConnectException | UnknownHostException | SocketTimeoutException e) {
            throw new ModelException(unreachable(model, uri, folder, e), e);
        } catch (IOException e) {
            throw new ModelException("downloading " + model.fileName() + " from " + uri + " failed: " + e.getMessage()
                    + "; run the download again to continue it", e);
        }
        try {
            boolean append;
            if (status == 206 && have > 0) {
                Matcher m = CONTENT_RANGE.matcher(String.valueOf(connection.getHeaderField("Content-Range")));
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    // The server resumed somewhere else: start again rather than splice wrong bytes.
                    connection.disconnect();
                    Files.delete(part);
                    fetch(model, uri, folder, part, 0, progress);
                    return;
                }
                append = true;
            } else if (status == 200) {
                append = false; // the server ignored the Range request (or there was none): the whole file comes
                have = 0;
            } else if (status == 416 && have > 0) {
                return; // nothing left to send: the partial file is complete; verification decides
            } else if (status / 100 == 3) {
                // Java follows redirects only within one protocol (http to https is refused): say where it points.
                throw new ModelException(uri + " redirects to " + connection.getHeaderField("Location") + ", which "
                        + "cannot be followed automatically; use that address as the mirror, or download the file "
                        + "there and add it as a local file");
            } else {
                throw new ModelException("the server answered HTTP " + status + " for " + uri
                        + (status == 404 ? " (not found: the address may have moved; "
                                + "download the file by other means and add it as a local file)" : ""));
            }
            long length = connection.getContentLengthLong();
            long total = model.hasSize() ? model.size() : length < 0 ? -1 : length + (append ? have : 0);
            long received = copy(model, connection, part, append, have, total, progress) - have;
            if (model.hasSize() ? have + received > model.size() : have + received > MAX_UNPUBLISHED_SIZE) {
                Files.deleteIfExists(part);
                throw new ModelException(uri.getHost() + " sent more than " + (model.hasSize()
                        ? "the published " + Units.bytes(model.size()) : Units.bytes(MAX_UNPUBLISHED_SIZE)
                        + ", more than any SAM model") + " for " + model.fileName() + " (another file?); the download "
                        + "was deleted");
            }
            if (length >= 0 && received < length) {
                // The connection closed early without an error: keep what came, for the next attempt to resume.
                throw new ModelException("the download of " + model.fileName() + " was interrupted after "
                        + Units.bytes(have + received) + (total > 0 ? " of " + Units.bytes(total) : "")
                        + "; run it again to continue where it stopped");
            }
        } finally {
            connection.disconnect();
        }
    }

    /** A file: mirror (a lab's share): copied with progress; the same checks follow as for a download. */
    private static void copyLocal(KnownModel model, Path source, Path part, Progress progress) throws IOException {
        if (!Files.isRegularFile(source)) {
            throw new ModelException("the mirror has no file " + source + "; check the mirror folder");
        }
        long size = Files.size(source);
        long limit = model.hasSize() ? model.size() : MAX_UNPUBLISHED_SIZE;
        if (size > limit) {
            throw new ModelException(source + " has " + Units.bytes(size) + ", more than "
                    + (model.hasSize() ? "the published " : "any SAM model's ") + Units.bytes(limit));
        }
        byte[] buffer = new byte[CHUNK];
        long done = 0;
        try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(part)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
                done += n;
                progress.update(size > 0 ? (double) done / size : 0, "copying " + model.fileName() + ": "
                        + Units.bytes(done) + " of " + Units.bytes(size));
                progress.checkCancelled();
            }
        }
    }

    /** Appends (or writes) the response body to the partial file; returns its length afterwards. */
    private long copy(KnownModel model, HttpURLConnection connection, Path part, boolean append, long have, long total,
                      Progress progress) throws IOException {
        long done = have;
        byte[] buffer = new byte[CHUNK];
        try (InputStream in = connection.getInputStream();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
                done += n;
                if (done > (model.hasSize() ? model.size() : MAX_UNPUBLISHED_SIZE)) {
                    break; // more than published (or than any model): reported by the caller
                }
                progress.update(total > 0 ? Math.min(1, (double) done / total) : 0,
                        "downloading " + model.fileName() + ": " + Units.bytes(done)
                                + (total > 0 ? " of " + Units.bytes(total) : ""));
                progress.checkCancelled();
            }
            return done;
        } catch (SocketTimeoutException e) {
            throw new ModelException("the download of " + model.fileName() + " stalled after " + Units.bytes(done)
                    + " (nothing received for " + readTimeoutMs / 1000 + " s); run it again to continue where it "
                    + "stopped", e);
        } catch (IOException e) {
            throw new ModelException("the download of " + model.fileName() + " was interrupted after "
                    + Units.bytes(done) + (total > 0 ? " of " + Units.bytes(total) : "") + " (" + e.getMessage()
                    + "); run it again to continue where it stopped", e);
        }
    }

    private static void verify(KnownModel model, Path part, Progress progress) throws IOException {
        long size = Files.size(part);
        if (model.hasSize() && size != model.size()) {
            Files.deleteIfExists(part);
            throw new ModelException("the download of " + model.fileName() + " has " + size + " bytes, not the "
                    + model.size() + " published; it was deleted: try again");
        }
        if (model.checksum() != null) {
            String actual = model.checksum().compute(part, progress);
            if (!actual.equals(model.checksum().hex())) {
                Files.deleteIfExists(part);
                throw new ModelException("checksum mismatch for " + model.fileName() + ": expected "
                        + model.checksum() + ", got " + model.checksum().algorithm() + ":" + actual
                        + "; the download was corrupted and has been deleted: try again");
            }
        } else if (!io.github.samfiji.checkpoint.StateDict.isCheckpointFile(part)) {
            Files.deleteIfExists(part);
            throw new ModelException("what " + model.url().getHost() + " sent for " + model.fileName()
                    + " is not a PyTorch checkpoint (perhaps an error page); it was deleted");
        }
    }

    /** What to tell a user whose machine cannot reach the download server. */
    public static String unreachable(KnownModel model, URI uri, Path folder, Exception e) {
        return "cannot reach " + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                + " to download " + model.title() + " (" + (e instanceof UnknownHostException ? "unknown host"
                        : e instanceof SocketTimeoutException ? "no answer" : "connection refused")
                + "). If this computer is offline, download " + uri + " on another one (" + model.sizeText()
                + (model.checksum() != null ? ", " + model.checksum() : "") + ") and put it into " + folder.toAbsolutePath()
                + " as " + model.fileName() + ", or add the downloaded file (checked against the published size and "
                + "checksum): 'sam-fiji models add FILE', or in Fiji SAM Model Manager, 'Add a local model file'";
    }
}
