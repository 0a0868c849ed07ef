using System.Text;

namespace Carmine.Cli;

/// <summary>A minimal line editor for the terminal: typing, backspace, left/right, home/end and
/// up/down through the history. Without a terminal it is Console.ReadLine.</summary>
public sealed class LineEditor(List<string> history)
{
    /// <summary>The next line, or null at end of input (Ctrl-D on an empty line, or EOF).</summary>
    public string? ReadLine(string prompt)
    {
        // Like linenoise, no prompt and no editing when stdin is not a terminal.
        if (Console.IsInputRedirected) return Console.ReadLine();
        Console.Out.Write(prompt);
        var line = new StringBuilder();
        int cursor = 0;
        int historyIndex = history.Count;
        string pending = "";
        void Redraw()
        {
            Console.Out.Write("\r" + prompt + line + "\x1b[0K");
            int back = line.Length - cursor;
            if (back > 0) Console.Out.Write($"\x1b[{back}D");
        }
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.Out.Write("\n");
                    return line.ToString();
                case ConsoleKey.Backspace:
                    if (cursor > 0) line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete:
                    if (cursor < line.Length) line.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow:
                    if (cursor > 0) cursor--;
                    break;
                case ConsoleKey.RightArrow:
                    if (cursor < line.Length) cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = line.Length;
                    break;
                case ConsoleKey.UpArrow:
                case ConsoleKey.DownArrow:
                    if (historyIndex == history.Count) pending = line.ToString();
                    historyIndex = Math.Clamp(historyIndex + (key.Key == ConsoleKey.UpArrow ? -1 : 1), 0, history.Count);
                    line.Clear().Append(historyIndex == history.Count ? pending : history[historyIndex]);
                    cursor = line.Length;
                    break;
                default:
                    if ((key.Modifiers & ConsoleModifiers.Control) != 0 && key.Key == ConsoleKey.D && line.Length == 0) return null;
                    if ((key.Modifiers & ConsoleModifiers.Control) != 0 && key.Key == ConsoleKey.L)
                    {
                        Console.Out.Write("\x1b[H\x1b[2J");
                        break;
                    }
                    if (!char.IsControl(key.KeyChar)) line.Insert(cursor++, key.KeyChar);
                    break;
            }
            Redraw();
        }
    }
}
