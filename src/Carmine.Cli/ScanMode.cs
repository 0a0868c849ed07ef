using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>--scan [--pattern P] [--count N]: every key of the database, one per line.</summary>
public static class ScanMode
{
    public static int Run(CliSession session)
    {
        var o = session.Options;
        string cursor = "0";
        do
        {
            var args = new List<string> { "SCAN", cursor };
            if (o.Pattern is not null) args.AddRange(["MATCH", o.Pattern]);
            if (o.Count is int count) args.AddRange(["COUNT", count.ToString()]);
            var reply = session.Call([.. args]);
            if (reply.IsError)
            {
                Console.Error.Write($"SCAN error: {reply.Text}\n");
                return 1;
            }
            if (reply.Type != RespType.Array)
            {
                Console.Error.Write("Non ARRAY response from SCAN!\n");
                return 1;
            }
            if (reply.Items!.Length != 2)
            {
                Console.Error.Write("Invalid element count from SCAN!\n");
                return 1;
            }
            cursor = reply.Items[0].Text!;
            var output = new MemoryStream();
            foreach (var key in reply.Items[1].Items!)
            {
                if (o.Output == OutputMode.Standard) ReplyFormatter.Repr(output, key.Bytes!);
                else output.Write(key.Bytes!);
                output.WriteByte((byte)'\n');
            }
            session.WriteOut(output.ToArray());
            if (o.Interval > TimeSpan.Zero) Thread.Sleep(o.Interval);
        } while (cursor != "0");
        return 0;
    }
}
