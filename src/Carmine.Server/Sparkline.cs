using System.Text;

namespace Carmine.Server;

/// <summary>
/// The ASCII sparkline of LATENCY GRAPH, drawn as Redis draws it: <c>rows</c> lines of '_', 'o', '#' and '|' rising
/// with the value, then a blank line and each sample's label written vertically below its column.
/// </summary>
public static class Sparkline
{
    const string Fill = "_o#";

    public static void Render(StringBuilder output, IReadOnlyList<(long Value, string Label)> samples, int columns, int rows)
    {
        long min = samples.Min(s => s.Value), max = samples.Max(s => s.Value);
        for (int start = 0; start < samples.Count; start += columns)
        {
            if (start != 0) output.Append('\n');
            RenderRange(output, samples, start, Math.Min(columns, samples.Count - start), rows, min, max);
        }
    }

    static void RenderRange(StringBuilder output, IReadOnlyList<(long Value, string Label)> samples, int start, int length, int rows, long min, long max)
    {
        double range = max - min == 0 ? 1 : max - min;
        int steps = Fill.Length * rows;
        int longestLabel = 0;
        for (int j = 0; j < length; j++) longestLabel = Math.Max(longestLabel, samples[start + j].Label.Length);
        var line = new char[length];
        for (int row = 0; row < rows; row++)
        {
            for (int j = 0; j < length; j++)
            {
                int step = (int)((int)((samples[start + j].Value - min) * (double)steps) / range);
                step = Math.Clamp(step, 0, steps - 1);
                int level = step - (rows - row - 1) * Fill.Length;
                line[j] = level < 0 ? ' ' : level < Fill.Length ? Fill[level] : '|';
            }
            output.Append(line).Append('\n');
        }
        // One blank line, then the labels top to bottom.
        output.Append(' ', length).Append('\n');
        for (int k = 0; k < longestLabel; k++)
        {
            for (int j = 0; j < length; j++)
            {
                string label = samples[start + j].Label;
                line[j] = k < label.Length ? label[k] : ' ';
            }
            output.Append(line).Append('\n');
        }
    }
}
