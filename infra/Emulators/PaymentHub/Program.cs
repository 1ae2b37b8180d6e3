using OneClickSuite.Emulators;
using OneClickSuite.Emulators.PaymentHub;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEmulatorDatabase("paymenthub-default");
builder.AddEmulatorFaults();
builder.AddEmulatorPages();
builder.Services.AddSingleton<HubFaultSwitch>();
builder.Services.AddSingleton<Bulk>();
builder.Services.AddSingleton<Authorization>();
builder.Services.AddSingleton<Dispatcher>();
builder.Services.AddHostedService(services => services.GetRequiredService<Dispatcher>());

var app = builder.Build();
await app.EnsureEmulatorSchemaAsync(Schema.Ddl);

// The bulk processor serves /batchtransactions at its root; the operations app serves /api/v1.
app.UseEmulatorFaults("/batchtransactions", "/api/v1");
app.MapDefaultEndpoints();
EmulatorPages.Map(app);
HubFaultSwitch.Map(app);

app.MapPost("/batchtransactions", (HttpContext http, Bulk bulk) => bulk.PostAsync(http));
// The GSMA connector's callback (ph-ee-connector-gsma-mm TransferRoutes, rest:PUT:/transfer/callback).
app.MapPut("/transfer/callback", (HttpContext http, Dispatcher dispatcher) => dispatcher.GsmaCallbackAsync(http));
// The payer's system answers batch authorization here (ph-ee-bulk-processor CallbackController).
app.MapPost("/authorization/callback", (HttpContext http, Authorization authorization) => authorization.CallbackAsync(http));
Operations.Map(app);

app.Run();

public partial class Program;
