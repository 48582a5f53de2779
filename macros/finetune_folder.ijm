// Fine-tune SAM on a folder of images and a folder of label masks (matched by file name), headless.
//
// Arguments: "images=<folder> masks=<folder> out=<model.safetensors> (checkpoint=<file> | config=<json> | preset=<name>)
//             [parts=decoder|encoder-decoder] [method=vanilla|lora|adapter] [rank=4] [budget=1.0] [epochs=200]
//             [patience=20] [lr=1e-4] [warmup=200] [batch=4] [input_size=<px>] [seed=42] [overwrite=true]"
// With config= or preset= the model starts from random weights. Paths must not contain spaces.
// Headless: java -Dplugins.dir=<ImageJ or Fiji folder> -jar ij.jar -batch finetune_folder.ijm "images=... masks=... out=..."
// Writes out (safetensors), its .json (architecture, strategy, data split, metrics) and .curves.png: the same job as
// "bin/sam-fiji finetune"; the model then loads in every command (Segment with Prompt, bin/sam-fiji --checkpoint).

args = getArgument();
images = value(args, "images", "");
masks = value(args, "masks", "");
out = value(args, "out", "");
if (images == "" || masks == "" || out == "")
    fail("usage: images=<folder> masks=<folder> out=<model.safetensors> (checkpoint=<file> | config=<json> | preset=<name>) [...]");
if (!File.isDirectory(images)) fail("images folder not found: " + images);
if (!File.isDirectory(masks)) fail("masks folder not found: " + masks);
command = "finetune\t--images\t" + images + "\t--masks\t" + masks + "\t--out\t" + out;
checkpoint = value(args, "checkpoint", "");
config = value(args, "config", "");
preset = value(args, "preset", "");
if (checkpoint != "") {
    if (!File.exists(checkpoint)) fail("model file not found: " + checkpoint);
    command = command + "\t--checkpoint\t" + checkpoint;
} else if (config != "") {
    command = command + "\t--from-scratch\t--config\t" + config;
} else if (preset != "") {
    command = command + "\t--from-scratch\t--preset\t" + preset;
} else {
    fail("give checkpoint=<file>, or config=<json> or preset=<name> to start from random weights");
}
options = newArray("parts", "method", "rank", "budget", "epochs", "patience", "lr", "warmup", "batch", "seed");
for (i = 0; i < options.length; i++) {
    v = value(args, options[i], "");
    if (v != "") command = command + "\t--" + options[i] + "\t" + v;
}
inputSize = value(args, "input_size", "");
if (inputSize != "") command = command + "\t--input-size\t" + inputSize;
overwrite = value(args, "overwrite", "false");
if (overwrite == "true") command = command + "\t--overwrite";
code = call("io.github.samfiji.cli.SamFijiCli.macro", command);
if (code != "0") fail("fine-tuning failed (see the messages above)");
print("fine-tuned model written to " + out);

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
