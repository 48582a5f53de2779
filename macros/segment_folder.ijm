// Segment every image of a folder with SAM, from prompts stored next to each image.
//
// Arguments: "input=<folder> model=<checkpoint> output=<folder> [multimask=true|false]"
// Headless: java -Dplugins.dir=<ImageJ or Fiji folder> -jar ij.jar -batch segment_folder.ijm "input=... model=... output=..."
//
// Prompts for image NAME.ext (first found):
//   NAME.csv  rows "object,kind,x0,y0,x1,y1,label" (header line optional): kind "point" uses x0,y0 and label
//             (1 object, 0 background); kind "box" uses x0,y0,x1,y1 (first and last pixel). Rows with the same
//             object number (1..255) form one object.
//   NAME.zip  an ImageJ RoiSet: each ROI is one object, except ROIs sharing a group number.
// Output: OUTPUT/NAME_sam.zip (one ROI per object, named NAME-object-slice) and OUTPUT/summary.csv.
// An image that cannot be read or segmented is reported ("NAME failed: reason") and the batch goes on; the
// summary lists it with its error, and the run ends with a failure (exit status 1 under -batch) if any failed.

args = getArgument();
input = value(args, "input", "");
model = value(args, "model", "");
output = value(args, "output", "");
multimask = value(args, "multimask", "true");
if (input == "" || model == "" || output == "")
    fail("usage: input=<folder> model=<checkpoint> output=<folder> [multimask=true|false]");
if (!File.isDirectory(input)) fail("input folder not found: " + input);
if (!File.exists(model)) fail("model file not found: " + model);
if (!File.isDirectory(output)) File.makeDirectory(output);
input = slash(input);
output = slash(output);
setBatchMode(true);

summary = "image,prompts,objects,rois_file,seconds,error\n";
images = 0;
ok = 0;
failed = 0;
unprompted = 0;
failedNames = "";
// From here on a failing image is reported and skipped instead of ending the batch.
call("io.github.samfiji.ij.BatchErrors.collect", "true");
list = getFileList(input);
for (i = 0; i < list.length; i++) {
    name = list[i];
    if (File.isDirectory(input + name) || endsWith(name, ".csv") || endsWith(name, ".zip") || startsWith(name, "."))
        continue;
    stem = File.getNameWithoutExtension(name);
    images++;
    start = getTime();
    roiManager("reset");
    if (File.exists(input + stem + ".csv")) {
        source = stem + ".csv";
    } else if (File.exists(input + stem + ".zip")) {
        source = stem + ".zip";
    } else {
        print("no prompts for " + name + " (expected " + stem + ".csv or " + stem + ".zip); skipped");
        summary = summary + name + ",none,0,,0,\n";
        unprompted++;
        continue;
    }
    problem = call("io.github.samfiji.ij.BatchErrors.open", input + name);
    if (problem == "") {
        if (endsWith(source, ".csv")) {
            problem = addCsvPrompts(input + source);
        } else {
            problem = call("io.github.samfiji.ij.BatchErrors.checkRois", input + source);
            if (problem == "") roiManager("open", input + source);
        }
    }
    if (problem == "") {
        prompts = roiManager("count");
        mm = "";
        if (multimask == "true") mm = " multimask";
        run("Segment with Prompt", "model=[" + model + "] prompts=[ROI Manager]" + mm + " candidate=[Best predicted IoU] add");
        problem = call("io.github.samfiji.ij.BatchErrors.take");
    }
    if (problem != "") {
        print(name + " failed: " + problem);
        failed++;
        failedNames = failedNames + " " + name;
        close("*");
        summary = summary + name + "," + source + ",,,," + csvText(problem) + "\n";
        continue;
    }
    objects = roiManager("count") - prompts;
    file = stem + "_sam.zip";
    if (objects > 0) {
        indexes = newArray(objects);
        for (k = 0; k < objects; k++) indexes[k] = prompts + k;
        roiManager("select", indexes);
        roiManager("save selected", output + file);
    } else {
        file = "";
    }
    close("*");
    ok++;
    summary = summary + name + "," + source + "," + objects + "," + file + "," + d2s((getTime() - start) / 1000, 2) + ",\n";
}
call("io.github.samfiji.ij.BatchErrors.collect", "false");
File.saveString(summary, output + "summary.csv");
print("segmented " + images + " image(s): " + ok + " ok, " + failed + " failed, " + unprompted
    + " without prompts; summary in " + output + "summary.csv");
if (failed > 0) fail("" + failed + " of " + images + " image(s) failed:" + failedNames);

// Adds the prompts of a CSV file to the ROI Manager; returns "" or what is wrong with the file.
function addCsvPrompts(path) {
    lines = split(File.openAsString(path), "\n");
    for (r = 0; r < lines.length; r++) {
        cells = split(replace(lines[r], " ", ""), ",");
        if (cells.length < 4 || isNaN(parseInt(cells[0]))) continue; // header or blank
        object = parseInt(cells[0]);
        needed = 4;
        if (cells[1] == "box") needed = 6;
        bad = false;
        if (cells[1] != "box" && cells[1] != "point") bad = true;
        for (c = 2; c < needed; c++) {
            if (c >= cells.length) {
                bad = true;
            } else {
                v = parseFloat(cells[c]);
                if (isNaN(v)) bad = true;
            }
        }
        if (bad) return File.getName(path) + " line " + (r + 1) + ": expected object,point,x,y,,,label or object,box,x0,y0,x1,y1";
        if (cells[1] == "box") {
            makeRectangle(parseFloat(cells[2]), parseFloat(cells[3]),
                parseFloat(cells[4]) - parseFloat(cells[2]) + 1, parseFloat(cells[5]) - parseFloat(cells[3]) + 1);
        } else {
            makePoint(parseFloat(cells[2]), parseFloat(cells[3]));
            if (cells.length > 6 && parseInt(cells[6]) == 0) Roi.setName("background");
        }
        Roi.setGroup(object);
        roiManager("add");
    }
    return "";
}

// A message as one CSV cell.
function csvText(text) {
    return "\"" + replace(replace(text, "\"", "'"), "\n", " ") + "\"";
}

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
    call("io.github.samfiji.ij.BatchErrors.collect", "false");
    call("io.github.samfiji.ij.BatchExit.fail", message);
    exit(message);
}
