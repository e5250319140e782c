package org.jamesshaping.bench.flood;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The flood report's PNG charts (XChart), drawn from the first run of each phase. */
final class FloodCharts {
    private static final Color[] GROUP_COLOURS = {
        new Color(0xd62728), new Color(0x1f77b4), new Color(0x2ca02c), new Color(0x9467bd), new Color(0xff7f0e)};

    private final Map<FloodBenchmark.Phase, PhaseResult> firstRuns;

    FloodCharts(Map<FloodBenchmark.Phase, PhaseResult> firstRuns) {
        this.firstRuns = firstRuns;
    }

    /** Writes every chart that has figures into {@code folder}. */
    void write(Path folder) throws IOException {
        latencyChart(folder.resolve("legit-latency.png"));
        abusiveChart(folder.resolve("abusive-accepted.png"));
        classChart(folder.resolve("classes-shaped.png"), FloodBenchmark.Phase.SHAPED);
        classChart(folder.resolve("classes-dry-run.png"), FloodBenchmark.Phase.DRY_RUN);
    }

    private void latencyChart(Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(500).title("Legitimate latency, connect to final 250")
            .xAxisTitle("seconds since the phase started").yAxisTitle("ms (log)").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(5);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        boolean any = false;
        for (FloodBenchmark.Phase phase : FloodBenchmark.Phase.values()) {
            PhaseResult r = firstRuns.get(phase);
            if (r == null || r.legitLatencyPoints.isEmpty()) {
                continue;
            }
            double[] x = r.legitLatencyPoints.stream().mapToDouble(point -> point[0]).toArray();
            double[] y = r.legitLatencyPoints.stream().mapToDouble(point -> Math.max(0.1, point[1])).toArray();
            chart.addSeries(phase.title, x, y).setMarker(SeriesMarkers.CIRCLE);
            any = true;
        }
        if (any) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private void abusiveChart(Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(500).title("Abusive messages accepted per second")
            .xAxisTitle("seconds since the phase started").yAxisTitle("messages/s").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        boolean any = false;
        for (FloodBenchmark.Phase phase : FloodBenchmark.Phase.values()) {
            PhaseResult r = firstRuns.get(phase);
            if (r == null || !phase.flood || r.abusiveAcceptedPerSecond.length == 0) {
                continue;
            }
            double[] x = new double[r.abusiveAcceptedPerSecond.length];
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i;
                y[i] = r.abusiveAcceptedPerSecond[i];
            }
            chart.addSeries(phase.title, x, y).setMarker(SeriesMarkers.NONE);
            any = true;
        }
        if (any) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private void classChart(Path file, FloodBenchmark.Phase phase) throws IOException {
        PhaseResult r = firstRuns.get(phase);
        if (r == null || r.classes.isEmpty()) {
            return;
        }
        XYChart chart = new XYChartBuilder().width(1000).height(500).title("Class of each watched abusive address: " + phase.title)
            .xAxisTitle("seconds since the phase started").yAxisTitle("class").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setYAxisMin(-1.5);
        chart.getStyler().setYAxisMax(9.5);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        List<String> groupNames = FloodBenchmark.groups(100).stream().map(group -> group.name).collect(Collectors.toList());
        Map<String, Integer> indexInGroup = new LinkedHashMap<>();
        for (Map.Entry<String, List<int[]>> entry : r.classes.entrySet()) {
            List<int[]> samples;
            synchronized (entry.getValue()) {
                samples = new ArrayList<>(entry.getValue());
            }
            if (samples.isEmpty()) {
                continue;
            }
            String group = FloodReport.group(entry.getKey());
            int index = indexInGroup.merge(group, 1, Integer::sum) - 1;
            // A small offset per address, so that addresses of one class stay visible as separate lines.
            double offset = (groupNames.indexOf(group) * 10 + index) * 0.006;
            double[] x = samples.stream().mapToDouble(sample -> sample[0]).toArray();
            double[] y = samples.stream().mapToDouble(sample -> sample[1] + offset).toArray();
            XYSeries series = chart.addSeries(index == 0 ? group : entry.getKey(), x, y);
            Color colour = GROUP_COLOURS[Math.max(0, groupNames.indexOf(group)) % GROUP_COLOURS.length];
            series.setLineColor(colour);
            series.setMarker(SeriesMarkers.NONE);
            series.setLineStyle(new BasicStroke(1.2f));
            series.setShowInLegend(index == 0);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
