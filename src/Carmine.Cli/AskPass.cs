using System.Text;

namespace Carmine.Cli;

/// <summary>--askpass: the password typed after a prompt and echoed as '*' on a terminal; from a pipe,
/// one line read without a prompt (null at end of input, which means no AUTH).</summary>
public static class AskPass
{
    public static string? Read(string prompt)
    {
        if (Console.IsInputRedirected) return Console.ReadLine();
        Console.Out.Write(prompt);
        var password = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Out.Write("\n");
                return password.ToString();
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0) password.Length--;
            }
            else if (!char.IsControl(key.KeyChar)) password.Append(key.KeyChar);
            Console.Out.Write("\r" + prompt + new string('*', password.Length) + "\x1b[0K");
        }
    }
}
