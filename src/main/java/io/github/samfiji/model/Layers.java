package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** The small PyTorch building blocks SAM is made of, with PyTorch's parameter names. */
public final class Layers {

    private Layers() {
    }

    /** nn.Linear: weight (out, in), optional bias (out). */
    public static class Linear extends Module {
        public final Param weight;
        public final Param bias;

        public Linear(long in, long out, boolean withBias) {
            weight = param("weight", out, in);
            bias = withBias ? param("bias", out) : null;
        }

        public Linear(long in, long out) {
            this(in, out, true);
        }

        /**
         * LoRA updates of the output rows. Each update owns one or more row ranges (one for a plain projection; per
         * head for TinyViT's fused qkv, whose q and v rows are interleaved by head) and its delta's columns fill
         * them in order.
         */
        private final java.util.List<LowRank> lowRanks = new java.util.ArrayList<>();
        private final java.util.List<long[][]> lowRankRows = new java.util.ArrayList<>();
        /** Every range as {update, range within it}, in row order; fixed when the updates are added. */
        private final java.util.List<int[]> rowOrder = new java.util.ArrayList<>();

        public NDArray forward(NDArray x) {
            NDArray y = ai.djl.nn.core.Linear.linear(x, weight.value(), bias == null ? null : bias.value()).singletonOrThrow();
            if (lowRanks.isEmpty()) {
                return y;
            }
            ai.djl.ndarray.NDList[] slices = new ai.djl.ndarray.NDList[lowRanks.size()];
            for (int i = 0; i < slices.length; i++) {
                long[][] ranges = lowRankRows.get(i);
                NDArray delta = lowRanks.get(i).delta(x);
                slices[i] = ranges.length == 1 ? new ai.djl.ndarray.NDList(delta)
                        : delta.split(splitPoints(ranges), delta.getShape().dimension() - 1);
            }
            // The pieces in row order, with zeros for the rows no update touches.
            java.util.List<NDArray> parts = new java.util.ArrayList<>();
            long at = 0;
            for (int[] o : rowOrder) {
                long[] range = lowRankRows.get(o[0])[o[1]];
                if (range[0] > at) {
                    parts.add(zerosLike(y, range[0] - at));
                }
                parts.add(slices[o[0]].get(o[1]));
                at = range[1];
            }
            if (at < out()) {
                parts.add(zerosLike(y, out() - at));
            }
            NDArray delta = parts.size() == 1 ? parts.get(0)
                    : ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(parts), -1);
            return y.add(delta);
        }

        /**
         * The weight with every low-rank update added (W + scale B A in each update's rows), for computations that
         * use the weight itself rather than {@link #forward}. Without updates it is the weight; with a zero update
         * it equals the weight exactly.
         */
        public NDArray effectiveWeight() {
            NDArray w = weight.value();
            if (lowRanks.isEmpty()) {
                return w;
            }
            ai.djl.ndarray.NDList[] slices = new ai.djl.ndarray.NDList[lowRanks.size()];
            for (int i = 0; i < slices.length; i++) {
                long[][] ranges = lowRankRows.get(i);
                NDArray update = lowRanks.get(i).denseUpdate();
                slices[i] = ranges.length == 1 ? new ai.djl.ndarray.NDList(update) : update.split(splitPoints(ranges), 0);
            }
            java.util.List<NDArray> parts = new java.util.ArrayList<>();
            long at = 0;
            for (int[] o : rowOrder) {
                long[] range = lowRankRows.get(o[0])[o[1]];
                if (range[0] > at) {
                    parts.add(w.getManager().zeros(new ai.djl.ndarray.types.Shape(range[0] - at, in())));
                }
                parts.add(slices[o[0]].get(o[1]));
                at = range[1];
            }
            if (at < out()) {
                parts.add(w.getManager().zeros(new ai.djl.ndarray.types.Shape(out() - at, in())));
            }
            NDArray delta = parts.size() == 1 ? parts.get(0) : ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(parts), 0);
            return w.add(delta);
        }

        /** Where the concatenated delta of {@code ranges} is cut into one piece per range. */
        static long[] splitPoints(long[][] ranges) {
            long[] points = new long[ranges.length - 1];
            long at = 0;
            for (int r = 0; r < points.length; r++) {
                at += ranges[r][1] - ranges[r][0];
                points[r] = at;
            }
            return points;
        }

        private static NDArray zerosLike(NDArray y, long width) {
            long[] dims = y.getShape().getShape().clone();
            dims[dims.length - 1] = width;
            return y.getManager().zeros(new ai.djl.ndarray.types.Shape(dims));
        }

        /** Adds a LoRA update of output rows [from, to) under the child name {@code name}. */
        public LowRank addLowRank(String name, long from, long to, int rank, float scale) {
            return addLowRank(name, new long[][] {{from, to}}, rank, scale);
        }

        /**
         * Adds a LoRA update whose output fills the given row ranges in order (its width is their total length);
         * ranges must be increasing and must not overlap each other or those of earlier updates.
         */
        public LowRank addLowRank(String name, long[][] ranges, int rank, float scale) {
            long width = 0;
            long previousEnd = -1;
            for (long[] r : ranges) {
                boolean taken = lowRankRows.stream().flatMap(java.util.Arrays::stream)
                        .anyMatch(o -> o[0] < r[1] && r[0] < o[1]);
                if (r[0] < 0 || r[1] > out() || r[0] >= r[1] || r[0] < previousEnd || taken) {
                    throw new IllegalArgumentException("bad LoRA row range [" + r[0] + ", " + r[1] + ") of " + out());
                }
                previousEnd = r[1];
                width += r[1] - r[0];
            }
            LowRank lr = child(name, new LowRank(in(), width, rank, scale));
            lowRanks.add(lr);
            lowRankRows.add(java.util.Arrays.stream(ranges).map(long[]::clone).toArray(long[][]::new));
            for (int r = 0; r < ranges.length; r++) {
                rowOrder.add(new int[] {lowRanks.size() - 1, r});
            }
            rowOrder.sort(java.util.Comparator.comparingLong(o -> lowRankRows.get(o[0])[o[1]][0]));
            return lr;
        }

        public java.util.List<LowRank> lowRanks() {
            return java.util.List.copyOf(lowRanks);
        }

        /** The row ranges of each update, in the order of {@link #lowRanks()}. */
        public java.util.List<long[][]> lowRankRows() {
            return java.util.List.copyOf(lowRankRows);
        }

        public long in() {
            return weight.shape().get(1);
        }

        public long out() {
            return weight.shape().get(0);
        }
    }

    /** nn.LayerNorm over the last axis. */
    public static class LayerNorm extends Module {
        public final Param weight;
        public final Param bias;
        private final float eps;

        public LayerNorm(long dim, double eps) {
            weight = param("weight", dim);
            bias = param("bias", dim);
            this.eps = (float) eps;
        }

        public NDArray forward(NDArray x) {
            return Ops.layerNorm(x, weight, bias, eps);
        }
    }

    /** SAM's LayerNorm2d: LayerNorm over the channel axis of NCHW tensors. */
    public static class LayerNorm2d extends Module {
        public final Param weight;
        public final Param bias;
        private final float eps;

        public LayerNorm2d(long channels, double eps) {
            weight = param("weight", channels);
            bias = param("bias", channels);
            this.eps = (float) eps;
        }

        public NDArray forward(NDArray x) {
            return Ops.layerNorm2d(x, weight, bias, eps);
        }

        /** The same normalization of channels-last pixels (..., channels): a LayerNorm over the last axis. */
        public NDArray forwardChannelsLast(NDArray x) {
            return Ops.layerNorm(x, weight, bias, eps);
        }
    }

    /** nn.Conv2d with square kernel, stride and padding. */
    public static class Conv2d extends Module {
        public final Param weight;
        public final Param bias;
        private final int stride;
        private final int padding;
        private final int groups;

        public Conv2d(long in, long out, int kernel, int stride, int padding, int groups, boolean withBias) {
            weight = param("weight", out, in / groups, kernel, kernel);
            bias = withBias ? param("bias", out) : null;
            this.stride = stride;
            this.padding = padding;
            this.groups = groups;
        }

        public NDArray forward(NDArray x) {
            return Ops.conv2d(x, weight, bias, stride, padding, groups);
        }
    }

    /** ConvTranspose2d with kernel 2 and stride 2, the only transposed convolution SAM uses. */
    public static class ConvTranspose2x2 extends Module {
        public final Param weight;
        public final Param bias;

        public ConvTranspose2x2(long in, long out) {
            weight = param("weight", in, out, 2, 2);
            bias = param("bias", out);
        }

        public NDArray forward(NDArray x) {
            return Ops.convTranspose2x2(x, weight, bias);
        }

        /** See {@link Ops#convTranspose2x2ChannelsLast}. */
        public NDArray forwardChannelsLast(NDArray x) {
            return Ops.convTranspose2x2ChannelsLast(x, weight, bias);
        }
    }

    /** nn.Embedding used as a learned token table: weight (count, dim). */
    public static class Embedding extends Module {
        public final Param weight;

        public Embedding(long count, long dim) {
            weight = param("weight", count, dim);
        }
    }

    /** nn.BatchNorm2d in evaluation mode (running statistics), eps 1e-5. */
    public static class BatchNorm2d extends Module {
        public final Param weight;
        public final Param bias;
        public final Param runningMean;
        public final Param runningVar;
        public final Param numBatchesTracked;

        public BatchNorm2d(long channels) {
            weight = param("weight", channels);
            bias = param("bias", channels);
            runningMean = buffer("running_mean", DataType.FLOAT32, channels);
            runningVar = buffer("running_var", DataType.FLOAT32, channels);
            numBatchesTracked = buffer("num_batches_tracked", DataType.INT64);
        }

        public NDArray forward(NDArray x) {
            long c = weight.shape().get(0);
            NDArray scale = weight.value().div(runningVar.value().add(1e-5f).sqrt());
            NDArray shift = bias.value().sub(runningMean.value().mul(scale));
            return x.mul(scale.reshape(1, c, 1, 1)).add(shift.reshape(1, c, 1, 1));
        }
    }

    /** SAM's MLP: Linear layers with ReLU between them (no activation after the last). */
    public static class Mlp extends Module {
        private final Linear[] layers;

        public Mlp(long in, long hidden, long out, int numLayers) {
            Module list = child("layers", new Sequence());
            layers = new Linear[numLayers];
            for (int i = 0; i < numLayers; i++) {
                long a = i == 0 ? in : hidden;
                long b = i == numLayers - 1 ? out : hidden;
                layers[i] = ((Sequence) list).add(new Linear(a, b));
            }
        }

        public NDArray forward(NDArray x) {
            for (int i = 0; i < layers.length; i++) {
                x = layers[i].forward(x);
                if (i < layers.length - 1) {
                    x = Ops.relu(x);
                }
            }
            return x;
        }
    }

    /** A plain container whose children have given names (a PyTorch module used only for grouping). */
    public static class Named extends Module {
        public <M extends Module> M add(String name, M m) {
            return child(name, m);
        }
    }

    /** nn.Sequential / nn.ModuleList: children named 0, 1, 2, ... (indices may skip parameter-free entries). */
    public static class Sequence extends Module {
        private int next;

        public <M extends Module> M add(M m) {
            return child(Integer.toString(next++), m);
        }

        public <M extends Module> M at(int index, M m) {
            next = index + 1;
            return child(Integer.toString(index), m);
        }
    }
}
