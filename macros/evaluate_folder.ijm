// Evaluate a folder of predictions against a folder of ground-truth labels (matched by file name), headless.
//
// Arguments: "predictions=<folder> truth=<folder> output=<file.csv> [binary=true] [labels=all|1,2]"
// Headless: java -Dplugins.dir=<ImageJ or Fiji folder> -jar ij.jar -batch evaluate_folder.ijm "predictions=... truth=... output=..."
// Writes one row per image and label (Dice, IoU, sensitivity, specificity, precision, F1, AUC, HD95, ASSD) and
// summary rows (mean, sd, median, ci95_low, ci95_high); names without a partner are reported, not silently skipped.
// An image that cannot be read or evaluated is reported and left out; the run then ends with exit status 1.
// The same evaluation as "bin/sam-fiji evaluate" (see docs/evaluation.md).

args = getArgument();
predictions = value(args, "predictions", "");
truth = value(args, "truth", "");
output = value(args, "output", "");
if (predictions == "" || truth == "" || output == "")
    fail("usage: predictions=<folder> truth=<folder> output=<file.csv> [binary=true] [labels=all|1,2]");
// --keep-going: an unreadable image is reported and skipped; the others are evaluated and written.
command = "evaluate\t--pred\t" + predictions + "\t--truth\t" + truth + "\t--out\t" + output + "\t--overwrite\t--keep-going";
binary = value(args, "binary", "false");
if (binary == "true") command = command + "\t--binary";
labels = value(args, "labels", "");
if (labels != "") command = command + "\t--labels\t" + labels;
code = call("io.github.samfiji.cli.SamFijiCli.macro", command);
if (code != "0") fail("evaluation failed (see the messages above: images that failed are named there)");
print("evaluation written to " + output);

function value(text, key, fallback) {
    parts = split(text, " ");
    for (p = 0; p < parts.length; p++)
        if (startsWith(parts[p], key + "=")) return substring(parts[p], lengthOf(key) + 1);
    return fallback;
}

// Stops with the message; under "ImageJ -batch" the process exits with status 1 so scripts see the failure.
function fail(message) {
    call("io.github.samfiji.ij.BatchExit.fail", message);
    exit(message);
}
