using System.Diagnostics;
using System.Text;

namespace Carmine.Cli;

/// <summary>--latency-dist: PING every 10 ms and, each interval (-i, default 1 s), one line of a spectrum
/// drawn with xterm-256 background colours: one character per latency bucket, darker to brighter with the
/// share of samples in it. A legend comes first and every 20 lines.</summary>
public static class LatencyDistMode
{
    // Upper bound of each bucket in microseconds (0: everything slower) and the character that shows it.
    static readonly (long Max, char Symbol)[] Buckets =
    [
        (10, '.'), (125, '-'), (250, '*'), (500, '#'),
        (1000, '1'), (2000, '2'), (3000, '3'), (4000, '4'), (5000, '5'), (6000, '6'), (7000, '7'), (8000, '8'), (9000, '9'),
        (10000, 'A'), (20000, 'B'), (30000, 'C'), (40000, 'D'), (50000, 'E'),
        (100000, 'F'), (200000, 'G'), (300000, 'H'), (400000, 'I'), (500000, 'J'),
        (1000000, 'K'), (2000000, 'L'), (4000000, 'M'), (8000000, 'N'), (16000000, 'O'), (30000000, 'P'), (60000000, 'Q'),
        (0, '?'),
    ];

    static readonly int[] ColorPalette = [0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 144, 143, 142, 184, 226, 214, 208, 202, 196];
    static readonly int[] MonoPalette = [0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 249, 251, 253];

    public static int Run(CliSession session)
    {
        var o = session.Options;
        int[] palette = o.Mono ? MonoPalette : ColorPalette;
        var interval = o.Interval > TimeSpan.Zero ? o.Interval : TimeSpan.FromSeconds(1);
        var counts = new long[Buckets.Length];
        long total = 0;
        int outputs = 0;
        var historyStart = Stopwatch.StartNew();
        while (true)
        {
            if (LatencyMode.Ping(session) is not { } elapsed) return 1;
            long latency = (long)elapsed.TotalMicroseconds;
            total++;
            int bucket = 0;
            while (Buckets[bucket].Max != 0 && latency > Buckets[bucket].Max) bucket++;
            counts[bucket]++;
            if (historyStart.Elapsed > interval)
            {
                var line = new StringBuilder();
                if (outputs++ % 20 == 0) line.Append(Legend(palette));
                line.Append("\x1b[38;5;0m");
                for (int j = 0; j < Buckets.Length; j++)
                {
                    int color = palette[(int)Math.Ceiling((double)counts[j] / total * (palette.Length - 1))];
                    line.Append($"\x1b[48;5;{color}m{Buckets[j].Symbol}");
                    counts[j] = 0;
                }
                line.Append("\x1b[0m\n");
                session.WriteOut(line.ToString());
                historyStart.Restart();
                total = 0;
            }
            Thread.Sleep(LatencyMode.SampleRate);
        }
    }

    static string Legend(int[] palette)
    {
        var s = new StringBuilder()
            .Append("---------------------------------------------\n")
            .Append(". - * #          .01 .125 .25 .5 milliseconds\n")
            .Append("1,2,3,...,9      from 1 to 9     milliseconds\n")
            .Append("A,B,C,D,E        10,20,30,40,50  milliseconds\n")
            .Append("F,G,H,I,J        .1,.2,.3,.4,.5       seconds\n")
            .Append("K,L,M,N,O,P,Q,?  1,2,4,8,16,30,60,>60 seconds\n")
            .Append("From 0 to 100%: ");
        foreach (int color in palette) s.Append($"\x1b[48;5;{color}m ");
        return s.Append("\x1b[0m\n").Append("---------------------------------------------\n").ToString();
    }
}
