// Propagate objects through every stack of a folder with SAM, from prompts stored next to each stack.
//
// Arguments: "input=<folder> model=<checkpoint> output=<folder> [projection=mask] [iou=0.5] [extension=0.05]
//             [cache=<folder>]"
// Headless: java -Dplugins.dir=<ImageJ or Fiji folder> -jar ij.jar -batch propagate_folder.ijm "input=... model=... output=..."
//
// Prompts for stack NAME.tif: NAME.zip, an ImageJ RoiSet whose ROIs (rectangles or points) carry their slice
// positions; each ROI is one object, except ROIs sharing a group number (e.g. boxes on an object's first and last
// slices). Output: OUTPUT/NAME_labels.tif (16-bit stack with the input's calibration, object n = n),
// OUTPUT/NAME_objects.zip (one ROI per object and slice) and OUTPUT/volumes.csv (per object: slices reached and
// volume in calibrated units). A stack without prompts is reported and skipped; a stack that cannot be read or
// propagated is reported (name: reason) and skipped, the others are processed, and the run ends with exit status 1.

args = getArgument();
input = value(args, "input", "");
model = value(args, "model", "");
output = value(args, "output", "");
cache = value(args, "cache", "");
if (input == "" || model == "" || output == "")
    fail("usage: input=<folder> model=<checkpoint> output=<folder> [projection=mask] [iou=0.5] [extension=0.05] [cache=<folder>]");
if (!File.isDirectory(input)) fail("input folder not found: " + input);
if (!File.exists(model)) fail("model file not found: " + model);
options = "model=[" + model + "] projection=" + value(args, "projection", "mask") + " iou=" + value(args, "iou", "0.5")
    + " box=" + value(args, "extension", "0.05") + " add label";
if (cache != "") options = options + " embedding=[" + cache + "]";
if (!File.isDirectory(output)) File.makeDirectory(output);
input = slash(input);
output = slash(output);
setBatchMode(true);

volumes = "image,object,first_slice,last_slice,slices,voxels,volume,unit\n";
stacks = 0;
failed = 0;
failedNames = "";
call("io.github.samfiji.ij.BatchErrors.collect", "true");
list = getFileList(input);
for (i = 0; i < list.length; i++) {
    name = list[i];
    if (File.isDirectory(input + name) || startsWith(name, ".") || endsWith(name, ".zip") || endsWith(name, ".csv"))
        continue;
    stem = File.getNameWithoutExtension(name);
    if (!File.exists(input + stem + ".zip")) {
        print("no prompts for " + name + " (expected " + stem + ".zip); skipped");
        continue;
    }
    roiManager("reset");
    problem = call("io.github.samfiji.ij.BatchErrors.open", input + name);
    if (problem == "") problem = call("io.github.samfiji.ij.BatchErrors.checkRois", input + stem + ".zip");
    if (problem == "") {
        getVoxelSize(pw, ph, pd, unit);
        roiManager("open", input + stem + ".zip");
        prompts = roiManager("count");
        run("Propagate in 3D", options);
        problem = call("io.github.samfiji.ij.BatchErrors.take");
    }
    if (problem != "") {
        print(name + " failed: " + problem);
        failed++;
        failedNames = failedNames + " " + name;
        close("*");
        continue;
    }
    saveAs("Tiff", output + stem + "_labels.tif"); // the label stack, shown last
    objects = roiManager("count") - prompts;
    if (objects > 0) {
        indexes = newArray(objects);
        for (k = 0; k < objects; k++) indexes[k] = prompts + k;
        roiManager("select", indexes);
        roiManager("save selected", output + stem + "_objects.zip");
    }
    table = "Propagation Volumes";
    n = Table.size(table);
    for (r = 0; r < n; r++) {
        volumes = volumes + name + "," + Table.get("Object", r, table) + "," + Table.get("First slice", r, table) + ","
            + Table.get("Last slice", r, table) + "," + Table.get("Slices", r, table) + ","
            + Table.get("Voxels", r, table) + "," + Table.get("Volume (" + unit + "^3)", r, table) + "," + unit + "\n";
    }
    close("*");
    stacks++;
}
call("io.github.samfiji.ij.BatchErrors.collect", "false");
File.saveString(volumes, output + "volumes.csv");
print("propagated through " + stacks + " stack(s), " + failed + " failed; volumes in " + output + "volumes.csv");
if (failed > 0) fail("" + failed + " stack(s) failed:" + failedNames);

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
