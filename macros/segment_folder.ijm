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

summary = "image,prompts,objects,rois_file,seconds\n";
images = 0;
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
        summary = summary + name + ",none,0,,0\n";
        continue;
    }
    open(input + name);
    if (endsWith(source, ".csv"))
        addCsvPrompts(input + source);
    else
        roiManager("open", input + source);
    prompts = roiManager("count");
    mm = "";
    if (multimask == "true") mm = " multimask";
    run("Segment with Prompt", "model=[" + model + "] prompts=[ROI Manager]" + mm + " candidate=[Best predicted IoU] add");
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
    summary = summary + name + "," + source + "," + objects + "," + file + "," + d2s((getTime() - start) / 1000, 2) + "\n";
}
File.saveString(summary, output + "summary.csv");
print("segmented " + images + " image(s); summary in " + output + "summary.csv");

function addCsvPrompts(path) {
    lines = split(File.openAsString(path), "\n");
    for (r = 0; r < lines.length; r++) {
        cells = split(replace(lines[r], " ", ""), ",");
        if (cells.length < 4 || isNaN(parseInt(cells[0]))) continue; // header or blank
        object = parseInt(cells[0]);
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
    call("io.github.samfiji.ij.BatchExit.fail", message);
    exit(message);
}
