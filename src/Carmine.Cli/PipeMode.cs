using System.Net.Sockets;
using System.Security.Cryptography;
using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>--pipe: streams raw protocol from stdin to the server while counting replies, then sends an
/// ECHO of 20 random bytes whose reply proves every earlier reply has arrived.</summary>
public static class PipeMode
{
    public static int Run(CliSession session)
    {
        var connection = session.Connection!;
        byte[] magic = RandomNumberGenerator.GetBytes(20);
        long errors = 0, replies = 0;
        // Set once stdin is exhausted, before the ECHO goes out, so its reply is always recognised.
        var eof = new ManualResetEventSlim();
        Exception? writeError = null;
        var writer = new Thread(() =>
        {
            try
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[64 * 1024];
                int n;
                while ((n = stdin.Read(buffer, 0, buffer.Length)) > 0)
                    connection.Write(buffer.AsSpan(0, n));
                session.WriteOut("All data transferred. Waiting for the last reply...\n");
                var echo = new RespBuffer();
                // The leading CRLF ends any half line left by garbage on stdin; the server ignores it.
                echo.WriteRaw("\r\n"u8);
                echo.Command([ "ECHO"u8.ToArray(), magic ]);
                eof.Set();
                connection.Write(echo.Written);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                writeError = e;
            }
        }) { IsBackground = true };
        writer.Start();
        connection.Socket.ReceiveTimeout = 1000;
        var lastRead = DateTime.UtcNow;
        bool done = false;
        while (!done)
        {
            while (connection.TryParse(out var reply))
            {
                lastRead = DateTime.UtcNow;
                if (reply.IsError)
                {
                    Console.Error.Write(reply.Text + "\n");
                    errors++;
                }
                else if (eof.IsSet && reply.Type == RespType.BulkString && reply.Bytes!.AsSpan().SequenceEqual(magic))
                {
                    session.WriteOut("Last reply received from server.\n");
                    done = true;
                    replies--;
                }
                replies++;
            }
            if (done) break;
            if (writeError is not null)
            {
                Console.Error.Write($"Error writing to the server: {writeError.Message}\n");
                return 1;
            }
            if (eof.IsSet && session.Options.PipeTimeoutSeconds > 0 && DateTime.UtcNow - lastRead > TimeSpan.FromSeconds(session.Options.PipeTimeoutSeconds))
            {
                Console.Error.Write($"No replies for {session.Options.PipeTimeoutSeconds} seconds: exiting.\n");
                errors++;
                break;
            }
            try
            {
                connection.Fill();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                Console.Error.Write("Error reading replies from server\n");
                return 1;
            }
        }
        session.WriteOut($"errors: {errors}, replies: {replies}\n");
        return errors > 0 ? 1 : 0;
    }
}
