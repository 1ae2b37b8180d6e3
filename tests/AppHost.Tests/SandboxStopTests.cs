using System.Diagnostics;
using System.Net.Sockets;
using OneClickSuite.Testing;

namespace OneClickSuite.AppHost.Tests;

/// <summary>
/// Stopping the sandbox leaves nothing running: RabbitMQ's node and the epmd daemon Erlang starts for it end with the
/// script the orchestrator runs, whether the orchestrator asks it to stop (TERM) or kills it outright (KILL).
/// </summary>
public class SandboxStopTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("KILL")]
    [InlineData("KILL-TREE")]
    public async Task The_broker_and_its_epmd_end_with_the_script(string signal)
    {
        var amqpPort = ServerProcess.FreePort();
        var epmdPort = ServerProcess.FreePort();
        var baseDir = Path.Combine(Path.GetTempPath(), $"oneclick-stop-{Guid.NewGuid():N}");
        await using var broker = new ServerProcess(Repository.SandboxScript("rabbitmq.sh"), new()
        {
            ["RABBITMQ_BASE"] = baseDir,
            ["RABBITMQ_NODE_PORT"] = amqpPort.ToString(),
            ["RABBITMQ_DIST_PORT"] = ServerProcess.FreePort().ToString(),
            ["ERL_EPMD_PORT"] = epmdPort.ToString(),
            ["RABBITMQ_USER"] = "suite",
            ["RABBITMQ_PASSWORD"] = Convert.ToHexString(Guid.NewGuid().ToByteArray()),
        });
        try
        {
            broker.Start();
            Assert.True(await EventuallyAsync(() => Listening(amqpPort), TimeSpan.FromSeconds(120)), $"RabbitMQ never listened:\n{broker.Output}");
            Assert.True(Listening(epmdPort), "the node's epmd is not on the port it was given");

            // The script, as the orchestrator stops it: asked to (TERM), killed (KILL), or killed with every process
            // under it (KILL-TREE). The node is its child; epmd is a daemon of the node's.
            var victims = signal == "KILL-TREE" ? ProcessTable.Read().TreeOf(broker.Id!.Value) : [broker.Id!.Value];
            foreach (var pid in victims)
            {
                Process.Start("kill", [signal == "TERM" ? "-TERM" : "-KILL", pid.ToString()])!.WaitForExit();
            }

            Assert.True(await EventuallyAsync(() => !Listening(amqpPort), TimeSpan.FromSeconds(90)), $"RabbitMQ still runs after {signal}");
            Assert.True(await EventuallyAsync(() => !Listening(epmdPort), TimeSpan.FromSeconds(90)), $"epmd still runs after {signal}");
            // and nothing the script started late (a command-line tool still setting up users) brings epmd back.
            await Task.Delay(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
            Assert.False(Listening(epmdPort), $"epmd came back after {signal}");
        }
        finally
        {
            broker.Kill();
            try { Directory.Delete(baseDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
        return condition();
    }
}
