package org.jamesshaping.filter.predictive;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The model's byte format, the same in a model file and in MongoDB chunks: gzip of
 * {@code "JSPM", format, featureVersion, dimensionBits, bias, threshold, spamCount, hamCount, trainedAt,
 * nonZeroCount, (index, weight)*}. Only non-zero weights are written: most of the 2^22 buckets stay empty, so a
 * trained model is a few MB rather than 16.
 */
public final class ModelCodec {
    private static final int MAGIC = 0x4a53504d;
    private static final int FORMAT = 1;
    private static final int MAX_BYTES = 48 + 8 * (1 << 26);

    private ModelCodec() {
    }

    public static byte[] toBytes(PredictiveModel model) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            write(model, bytes);
        } catch (IOException e) {
            throw new IllegalStateException("in-memory write failed", e);
        }
        return bytes.toByteArray();
    }

    public static PredictiveModel fromBytes(byte[] bytes) throws IOException {
        return read(new ByteArrayInputStream(bytes));
    }

    public static void write(PredictiveModel model, OutputStream out) throws IOException {
        GZIPOutputStream gzip = new GZIPOutputStream(out, 1 << 16);
        DataOutputStream data = new DataOutputStream(gzip);
        data.writeInt(MAGIC);
        data.writeInt(FORMAT);
        data.writeInt(model.featureVersion());
        data.writeInt(model.dimensionBits());
        data.writeFloat(model.bias());
        data.writeDouble(model.threshold());
        data.writeInt(model.spamCount());
        data.writeInt(model.hamCount());
        data.writeLong(model.trainedAt().toEpochMilli());
        int dimension = 1 << model.dimensionBits();
        int nonZero = 0;
        for (int i = 0; i < dimension; i++) {
            nonZero += model.weight(i) != 0 ? 1 : 0;
        }
        data.writeInt(nonZero);
        for (int i = 0; i < dimension; i++) {
            float weight = model.weight(i);
            if (weight != 0) {
                data.writeInt(i);
                data.writeFloat(weight);
            }
        }
        data.flush();
        gzip.finish();
    }

    public static PredictiveModel read(InputStream in) throws IOException {
        // Inflated whole, then read from a buffer: a DataInputStream reads each int and float a byte at a time, and a
        // model has half a million pairs. At most what the largest model holds (a header and 2^26 pairs) is read.
        ByteBuffer data = ByteBuffer.wrap(new GZIPInputStream(in, 1 << 16).readNBytes(MAX_BYTES));
        try {
            return read(data);
        } catch (BufferUnderflowException e) {
            throw new EOFException("truncated model");
        }
    }

    private static PredictiveModel read(ByteBuffer data) throws IOException {
        if (data.getInt() != MAGIC) {
            throw new IOException("not a james-shaping predictive model");
        }
        int format = data.getInt();
        if (format != FORMAT) {
            throw new IOException("unsupported model format " + format);
        }
        int featureVersion = data.getInt();
        if (featureVersion != FeatureExtractor.FEATURE_VERSION) {
            throw new IOException("model was trained with feature rules v" + featureVersion + ", this version scores with v"
                + FeatureExtractor.FEATURE_VERSION + ": retrain it");
        }
        int bits = data.getInt();
        if (bits < 10 || bits > 26) {
            throw new IOException("bad dimension bits " + bits);
        }
        float bias = data.getFloat();
        double threshold = data.getDouble();
        int spamCount = data.getInt();
        int hamCount = data.getInt();
        Instant trainedAt = Instant.ofEpochMilli(data.getLong());
        float[] weights = new float[1 << bits];
        int nonZero = data.getInt();
        if (nonZero < 0 || nonZero > weights.length) {
            throw new IOException("bad weight count " + nonZero);
        }
        for (int i = 0; i < nonZero; i++) {
            int index = data.getInt();
            if (index < 0 || index >= weights.length) {
                throw new IOException("bad weight index " + index);
            }
            weights[index] = data.getFloat();
        }
        return new PredictiveModel(featureVersion, bits, weights, bias, threshold, spamCount, hamCount, trainedAt);
    }

    /** Writes to a temporary file then renames, so a reader never sees half a model. */
    public static void writeFile(PredictiveModel model, Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path temporary = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(temporary)) {
            write(model, out);
        }
        Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static PredictiveModel readFile(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in);
        }
    }
}
