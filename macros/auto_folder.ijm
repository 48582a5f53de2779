// Auto-segment every image of a folder with SAM (automatic mask generation, or a prompt-free fine-tuned model).
//
// Arguments: "input=<folder> model=<checkpoint> output=<folder> [mode=amg|semantic] [points=32] [iou=0.88]
//             [stability=0.95] [nms=0.7] [min_area=0] [tile=0] [overlap=256]"
// Headless: java -Dplugins.dir=<ImageJ or Fiji folder> -jar ij.jar -batch auto_folder.ijm "input=... model=... output=..."
// Output per image NAME.ext: OUTPUT/NAME_labels.tif (16-bit, 0 = background), OUTPUT/NAME_objects.zip (RoiSet, one
// ROI per object), and OUTPUT/summary.csv (image,objects,seconds,error). An image that cannot be read or segmented
// is reported (name: reason) and skipped; the others are processed, and the run then ends with a non-zero exit status.

args = getArgument();
input = value(args, "input", "");
model = value(args, "model", "");
output = value(args, "output", "");
mode = value(args, "mode", "amg");
if (input == "" || model == "" || output == "")
    fail("usage: input=<folder> model=<checkpoint> output=<folder> [mode=amg|semantic] [points=32] ...");
if (!File.isDirectory(input)) fail("input folder not found: " + input);
if (!File.exists(model)) fail("model file not found: " + model);
if (mode != "amg" && mode != "semantic") fail("mode must be amg or semantic, got " + mode);
modeChoice = "[Everything (automatic mask generation)]";
if (mode == "semantic") modeChoice = "[Semantic (prompt-free fine-tuned model)]";
options = "model=[" + model + "] mode=" + modeChoice + " points=" + value(args, "points", "32")
    + " predicted=" + value(args, "iou", "0.88") + " stability=" + value(args, "stability", "0.95")
    + " box=" + value(args, "nms", "0.7") + " crop=0 minimum=" + value(args, "min_area", "0")
    + " tile=" + value(args, "tile", "0") + " overlap=" + value(args, "overlap", "256") + " add label";
if (!File.isDirectory(output)) File.makeDirectory(output);
input = slash(input);
output = slash(output);
setBatchMode(true);

summary = "image,objects,seconds,error\n";
done = 0;
failed = 0;
failedNames = "";
// From here on a failing image is reported and skipped instead of ending the batch.
call("io.github.samfiji.ij.BatchErrors.collect", "true");
list = getFileList(input);
for (i = 0; i < list.length; i++) {
    name = list[i];
    if (File.isDirectory(input + name) || startsWith(name, ".") || endsWith(name, ".csv") || endsWith(name, ".zip"))
        continue;
    stem = File.getNameWithoutExtension(name);
    start = getTime();
    roiManager("reset");
    problem = call("io.github.samfiji.ij.BatchErrors.open", input + name);
    if (problem == "") {
        run("Auto-segment", options);
        problem = call("io.github.samfiji.ij.BatchErrors.take");
    }
    if (problem != "") {
        print(name + " failed: " + problem);
        failed++;
        failedNames = failedNames + " " + name;
        close("*");
        summary = summary + name + ",,," + replace(replace(problem, ",", ";"), "\n", " ") + "\n";
        continue;
    }
    objects = roiManager("count");
    labels = getTitle();
    if (endsWith(labels, "-labels")) saveAs("Tiff", output + stem + "_labels.tif");
    if (objects > 0) roiManager("save", output + stem + "_objects.zip");
    close("*");
    done++;
    summary = summary + name + "," + objects + "," + d2s((getTime() - start) / 1000, 2) + ",\n";
}
call("io.github.samfiji.ij.BatchErrors.collect", "false");
File.saveString(summary, output + "summary.csv");
print("auto-segmented " + done + " image(s), " + failed + " failed; summary in " + output + "summary.csv");
if (failed > 0) fail("" + failed + " image(s) failed:" + failedNames);

function value(text, key, fallback) {
    parts = split(text, " ");
    for (p = 0; p < parts.length; p++)
        if (startsWith(parts[p], key + "=")) return substring(parts[p], lengthOf(key) + 1);
    return fallback;
}

function slash(dir) {
    if (endsWith(dir, "/") || endsWith(dir, File.separator)) return dir;
    return dir + File.separator;
}

// Stops with the message; under "ImageJ -batch" the process exits with status 1 so scripts see the failure.
function fail(message) {
    call("io.github.samfiji.ij.BatchExit.fail", message);
    exit(message);
}
