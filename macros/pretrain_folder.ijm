// Pre-train a SAM image encoder on folders of unlabelled images (masked image modelling: MAE for ViT, SimMIM for
// vit_t), headless.
//
// Arguments: "images=<folder> [images2=<folder>] out=<model.safetensors> (checkpoint=<file> | config=<json> | preset=<name>)
//             [input_size=<px>] [mask_ratio=0.75] [epochs=100] [batch=8] [lr=1.5e-4] [warmup=100] [validation=0.1]
//             [decoder_depth=2] [decoder_width=128] [seed=42] [overwrite=true] [resume=true]"
// With config= or preset= the encoder starts from random weights. Paths must not contain spaces.
// Headless: java -Dplugins.dir=<ImageJ or Fiji folder> -jar ij.jar -batch pretrain_folder.ijm "images=... out=... preset=vit_b"
// Writes out (safetensors: a plain SAM with the pre-trained encoder; the reconstruction decoder is dropped), its .json,
// .curves.csv and .curves.png: the same job as "bin/sam-fiji pretrain". Fine-tune it with finetune_folder.ijm
// checkpoint=<out>.

args = getArgument();
images = value(args, "images", "");
images2 = value(args, "images2", "");
out = value(args, "out", "");
if (images == "" || out == "")
    fail("usage: images=<folder> [images2=<folder>] out=<model.safetensors> (checkpoint=<file> | config=<json> | preset=<name>) [...]");
if (!File.isDirectory(images)) fail("images folder not found: " + images);
command = "pretrain\t--images\t" + images + "\t--out\t" + out;
if (images2 != "") {
    if (!File.isDirectory(images2)) fail("images folder not found: " + images2);
    command = command + "\t--images\t" + images2;
}
checkpoint = value(args, "checkpoint", "");
config = value(args, "config", "");
preset = value(args, "preset", "");
if (checkpoint != "") {
    if (!File.exists(checkpoint)) fail("model file not found: " + checkpoint);
    command = command + "\t--checkpoint\t" + checkpoint;
} else if (config != "") {
    command = command + "\t--config\t" + config;
} else if (preset != "") {
    command = command + "\t--preset\t" + preset;
} else {
    fail("give checkpoint=<file>, or config=<json> or preset=<name> to start from random weights");
}
// Option names in the macro use underscores; the command line's use hyphens.
options = newArray("input_size", "mask_ratio", "epochs", "batch", "lr", "warmup", "validation", "decoder_depth", "decoder_width", "seed");
for (i = 0; i < options.length; i++) {
    v = value(args, options[i], "");
    if (v != "") command = command + "\t--" + replace(options[i], "_", "-") + "\t" + v;
}
overwrite = value(args, "overwrite", "false");
if (overwrite == "true") command = command + "\t--overwrite";
resume = value(args, "resume", "false");
if (resume == "true") command = command + "\t--resume";
code = call("io.github.samfiji.cli.SamFijiCli.macro", command);
if (code != "0") fail("pre-training failed (see the messages above)");
print("pre-trained model written to " + out);

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
