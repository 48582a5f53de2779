package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.Embedding;
import io.github.samfiji.model.Layers.LayerNorm2d;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.SamConfig.DecoderConfig;

/**
 * Encodes prompts for the mask decoder: points and box corners become sparse tokens (random Fourier position
 * encoding plus a learned embedding per kind), a low-resolution mask becomes a dense embedding.
 */
public final class PromptEncoder extends Module {

    /** Point labels: 1 foreground, 0 background, -1 padding ("not a point"). */
    public static final int LABEL_PADDING = -1;

    private static final float TWO_PI = (float) (2 * Math.PI);
    private static final float EPS = 1e-6f;

    private final int embedDim;
    private final int imageSize;
    private final int gridSize;
    private final Param gaussian;
    private final Embedding[] pointEmbeddings = new Embedding[4];
    private final Embedding notAPoint;
    private final Conv2d down0;
    private final LayerNorm2d down1;
    private final Conv2d down3;
    private final LayerNorm2d down4;
    private final Conv2d down6;
    private final Embedding noMask;

    public PromptEncoder(DecoderConfig c, int imageSize, int gridSize) {
        this.embedDim = c.promptEmbedDim();
        this.imageSize = imageSize;
        this.gridSize = gridSize;
        gaussian = child("pe_layer", new RandomFourierFeatures(embedDim / 2)).matrix;
        Sequence points = child("point_embeddings", new Sequence());
        for (int i = 0; i < 4; i++) {
            pointEmbeddings[i] = points.add(new Embedding(1, embedDim));
        }
        notAPoint = child("not_a_point_embed", new Embedding(1, embedDim));
        int mic = c.maskInChans();
        Sequence down = child("mask_downscaling", new Sequence());
        down0 = down.at(0, new Conv2d(1, mic / 4, 2, 2, 0, 1, true));
        down1 = down.at(1, new LayerNorm2d(mic / 4, EPS));
        down3 = down.at(3, new Conv2d(mic / 4, mic, 2, 2, 0, 1, true));
        down4 = down.at(4, new LayerNorm2d(mic, EPS));
        down6 = down.at(6, new Conv2d(mic, embedDim, 1, 1, 0, 1, true));
        noMask = child("no_mask_embed", new Embedding(1, embedDim));
    }

    /** The position encoding's fixed random projection (a buffer in the reference: never trained). */
    private static final class RandomFourierFeatures extends Module {
        final Param matrix;

        RandomFourierFeatures(int half) {
            matrix = buffer("positional_encoding_gaussian_matrix", DataType.FLOAT32, 2, half);
        }
    }

    public int embedDim() {
        return embedDim;
    }

    /** Side of the low-resolution mask prompt (4x the embedding grid: 256 for the published models). */
    public int maskInputSize() {
        return 4 * gridSize;
    }

    /** Random Fourier features of coordinates already normalized to [0, 1]: (..., 2) -> (..., embedDim). */
    private NDArray positionEncoding(NDArray coords01) {
        NDArray c = coords01.mul(2f).sub(1f).matMul(gaussian.value()).mul(TWO_PI);
        return c.sin().concat(c.cos(), -1);
    }

    /** The encoding of every embedding-grid cell centre, (1, embedDim, g, g), shared by all prompts. */
    public NDArray densePositionalEncoding(NDManager manager) {
        int g = gridSize;
        float[] grid = new float[g * g * 2];
        for (int y = 0; y < g; y++) {
            for (int x = 0; x < g; x++) {
                grid[(y * g + x) * 2] = (x + 0.5f) / g;
                grid[(y * g + x) * 2 + 1] = (y + 0.5f) / g;
            }
        }
        return positionEncoding(Ops.constant(manager, grid, new Shape(g, g, 2))).transpose(2, 0, 1).expandDims(0);
    }

    private NDArray normalize(NDArray pixelCoords) {
        // Pixel centres: the reference shifts by half a pixel before dividing by the padded input size.
        return pixelCoords.add(0.5f).div((float) imageSize);
    }

    /**
     * @param points (B, N, 2) coordinates in the encoder's input frame, or null
     * @param labels (B, N) labels as floats (1, 0, -1), or null
     * @param boxes  (B, 4) x0, y0, x1, y1 in the input frame, or null
     * @param masks  (B, 1, 4g, 4g) low-resolution mask logits, or null
     * @return sparse (B, N', C) and dense (B, C, g, g) embeddings
     */
    public NDList forward(NDArray points, NDArray labels, NDArray boxes, NDArray masks, NDManager manager) {
        long batch = points != null ? points.getShape().get(0)
                : boxes != null ? boxes.getShape().get(0) : masks != null ? masks.getShape().get(0) : 1;
        NDArray sparse = manager.zeros(new Shape(batch, 0, embedDim));
        if (points != null) {
            sparse = sparse.concat(embedPoints(points, labels, boxes == null, manager), 1);
        }
        if (boxes != null) {
            sparse = sparse.concat(embedBoxes(boxes), 1);
        }
        NDArray dense;
        if (masks != null) {
            NDArray x = Ops.gelu(down1.forward(down0.forward(masks)));
            x = Ops.gelu(down4.forward(down3.forward(x)));
            dense = down6.forward(x);
        } else {
            dense = noMask.weight.value().reshape(1, embedDim, 1, 1)
                    .broadcast(new Shape(batch, embedDim, gridSize, gridSize));
        }
        return new NDList(sparse, dense);
    }

    private NDArray embedPoints(NDArray points, NDArray labels, boolean pad, NDManager manager) {
        long batch = points.getShape().get(0);
        if (pad) {
            // Without a box, a padding point closes the sequence, as in the reference.
            points = points.concat(manager.zeros(new Shape(batch, 1, 2)), 1);
            labels = labels.concat(manager.full(new Shape(batch, 1), (float) LABEL_PADDING), 1);
        }
        NDArray pe = positionEncoding(normalize(points));
        NDArray l = labels.toType(DataType.FLOAT32, false).expandDims(-1);
        NDArray isPad = l.eq(LABEL_PADDING).toType(DataType.FLOAT32, false);
        NDArray isNeg = l.eq(0).toType(DataType.FLOAT32, false);
        NDArray isPos = l.eq(1).toType(DataType.FLOAT32, false);
        return pe.mul(isPad.neg().add(1f))
                .add(isPad.mul(notAPoint.weight.value()))
                .add(isNeg.mul(pointEmbeddings[0].weight.value()))
                .add(isPos.mul(pointEmbeddings[1].weight.value()));
    }

    private NDArray embedBoxes(NDArray boxes) {
        long batch = boxes.getShape().get(0);
        NDArray corners = positionEncoding(normalize(boxes.reshape(batch, 2, 2)));
        NDArray cornerEmbed = NDArrays.concat(new NDList(pointEmbeddings[2].weight.value(), pointEmbeddings[3].weight.value()));
        return corners.add(cornerEmbed.expandDims(0));
    }
}
