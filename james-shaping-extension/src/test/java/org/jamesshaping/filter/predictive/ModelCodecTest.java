package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ModelCodecTest {
    private static PredictiveModel model() {
        float[] weights = new float[1 << 12];
        Random random = new Random(9);
        for (int i = 0; i < 300; i++) {
            weights[random.nextInt(weights.length)] = (float) random.nextGaussian();
        }
        weights[0] = -1.5f;
        weights[weights.length - 1] = Float.MIN_VALUE;
        return new PredictiveModel(FeatureExtractor.FEATURE_VERSION, 12, weights, 0.25f, 0.625, 31, 47, Instant.ofEpochMilli(1_700_000_000_123L));
    }

    @Test
    void aModelReadsBackWithEveryWeightAndField() throws IOException {
        PredictiveModel model = model();
        PredictiveModel read = ModelCodec.fromBytes(ModelCodec.toBytes(model));
        float[] expected = new float[1 << 12];
        float[] actual = new float[1 << 12];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = model.weight(i);
            actual[i] = read.weight(i);
        }
        assertThat(Arrays.equals(actual, expected)).isTrue();
        assertThat(read.bias()).isEqualTo(0.25f);
        assertThat(read.threshold()).isEqualTo(0.625);
        assertThat(read.spamCount()).isEqualTo(31);
        assertThat(read.hamCount()).isEqualTo(47);
        assertThat(read.trainedAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
        assertThat(read.featureVersion()).isEqualTo(FeatureExtractor.FEATURE_VERSION);
        assertThat(read.dimensionBits()).isEqualTo(12);
    }

    @Test
    void aTruncatedModelIsAnIoErrorNotAHalfModel() throws IOException {
        byte[] whole = ModelCodec.toBytes(model());
        // cut inside the weights: re-compress a prefix of the inflated bytes
        byte[] inflated = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(whole)).readAllBytes();
        java.io.ByteArrayOutputStream cut = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(cut)) {
            gzip.write(inflated, 0, inflated.length - 5);
        }
        assertThatThrownBy(() -> ModelCodec.fromBytes(cut.toByteArray())).isInstanceOf(IOException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> ModelCodec.fromBytes(Arrays.copyOf(whole, whole.length / 2))).isInstanceOf(IOException.class);
    }
}
