package io.github.samfiji.models;

import io.github.samfiji.inference.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

    private final HttpClient client;
    private final URI mirror;

    public ModelDownloader() {
        this(null);
    }

    /**
     * @param mirror a folder URL that serves the checkpoints under their published file names (an institute's
     *               copy, or a test server); null for the authors' addresses
     */
    public ModelDownloader(URI mirror) {
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        this.mirror = mirror;
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
        Files.createDirectories(folder);
        Path part = partial(folder, model.fileName());
        URI uri = source(model);
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (model.hasSize() && have > model.size()) {
            Files.delete(part);
            have = 0;
        }
        if (!model.hasSize() || have < model.size()) {
            fetch(model, uri, folder, part, have, progress);
        }
        verify(model, part, progress);
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
        progress.update(1, model.fileName() + " installed");
        return target;
    }

    private void fetch(KnownModel model, URI uri, Path folder, Path part, long have, Progress progress)
            throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException | UnknownHostException | HttpConnectTimeoutException e) {
            throw new ModelException(unreachable(model, uri, folder, e), e);
        } catch (IOException e) {
            if (e.getCause() instanceof UnknownHostException || e.getCause() instanceof ConnectException) {
                throw new ModelException(unreachable(model, uri, folder, e), e);
            }
            throw new ModelException("downloading " + model.fileName() + " from " + uri + " failed: " + e.getMessage()
                    + "; run the download again to continue it", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("download of " + model.fileName() + " interrupted");
        }
        int status = response.statusCode();
        boolean append;
        if (status == 206 && have > 0) {
            String range = response.headers().firstValue("Content-Range").orElse("");
            Matcher m = CONTENT_RANGE.matcher(range);
            if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                response.body().close();
                // The server resumed somewhere else: start again rather than splice wrong bytes.
                Files.delete(part);
                fetch(model, uri, folder, part, 0, progress);
                return;
            }
            append = true;
        } else if (status == 200) {
            append = false; // the server ignored the Range request (or there was none): the whole file comes
            have = 0;
        } else if (status == 416 && have > 0) {
            response.body().close();
            return; // nothing left to send: the partial file is complete; verification decides
        } else {
            response.body().close();
            throw new ModelException("the server answered HTTP " + status + " for " + uri
                    + (status == 404 ? " (not found: the address may have moved; "
                            + "download the file by other means and add it as a local file)" : ""));
        }
        long total = model.hasSize() ? model.size()
                : response.headers().firstValueAsLong("Content-Length").orElse(-1) + (append ? have : 0);
        long done = have;
        byte[] buffer = new byte[CHUNK];
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
                done += n;
                if (model.hasSize() && done > model.size()) {
                    break; // more than published: verification reports it
                }
                progress.update(total > 0 ? Math.min(1, (double) done / total) : 0,
                        "downloading " + model.fileName() + ": " + Units.bytes(done)
                                + (total > 0 ? " of " + Units.bytes(total) : ""));
                progress.checkCancelled();
            }
        } catch (InterruptedIOException e) {
            throw new ModelException("the download of " + model.fileName() + " stalled after " + Units.bytes(done)
                    + "; run it again to continue where it stopped", e);
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
        } else if (!CheckpointFiles.looksLikeCheckpoint(part)) {
            Files.deleteIfExists(part);
            throw new ModelException("what " + model.url().getHost() + " sent for " + model.fileName()
                    + " is not a PyTorch checkpoint (perhaps an error page); it was deleted");
        }
    }

    /** What to tell a user whose machine cannot reach the download server. */
    public static String unreachable(KnownModel model, URI uri, Path folder, Exception e) {
        return "cannot reach " + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                + " to download " + model.title() + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                + "). If this computer is offline, download " + uri + " on another one (" + model.sizeText()
                + (model.checksum() != null ? ", " + model.checksum() : "") + ") and put it into " + folder.toAbsolutePath()
                + " as " + model.fileName() + ", or add the downloaded file with the model manager's 'add local file'";
    }
}
