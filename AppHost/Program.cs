using OneClickSuite.AppHost;
using OneClickSuite.AppHost.Fineract;
using OneClickSuite.AppHost.Ihris;
using OneClickSuite.AppHost.MobileMoney;
using OneClickSuite.AppHost.Odk;
using OneClickSuite.AppHost.PaymentHub;
using OneClickSuite.AppHost.Portal;

var builder = DistributedApplication.CreateBuilder(args);

// full: every system as its container | sandbox: no containers, emulators | external: a ministry's own systems.
var mode = builder.GetSuiteMode();

// ── PostgreSQL, RabbitMQ and the databases (db-setup creates them with what each owner needs) ──
var infra = builder.AddSuiteInfrastructure(mode);

// ── The upstream systems; each folder wires its own modes and says how the suite reaches it ──
var fineract = builder.AddFineractSystem(mode, infra);
var odk = builder.AddOdkCentralSystem(mode, infra);
var ihris = builder.AddIhrisSystem(mode, infra);
var mobileMoney = builder.AddMobileMoneySystem(mode, infra);
var paymentHub = builder.AddPaymentHubSystem(mode, infra, fineract, mobileMoney);

// ── Bootstrap: one-shot seeding through the systems' APIs, the same code in every mode; re-running creates nothing twice ──
var bootstrap = builder.AddOneShot<Projects.Bootstrap>("bootstrap")
    .WithUpstreamToSeed(fineract)
    .WithUpstreamToSeed(odk)
    .WithUpstreamToSeed(ihris);

// ── The suite's own services: thin adapters and payroll, talking only through RabbitMQ (so they start side by side),
//    state in suite-db ──
var ihrisAdapter = builder.AddSuiteService<Projects.IhrisAdapter>("ihris-adapter")
    .WithSuiteState(infra, bootstrap)
    .WithUpstream(ihris);
var fineractAdapter = builder.AddSuiteService<Projects.FineractAdapter>("fineract-adapter")
    .WithSuiteState(infra, bootstrap)
    .WithUpstream(fineract);
var odkAdapter = builder.AddSuiteService<Projects.OdkAdapter>("odk-adapter")
    .WithSuiteState(infra, bootstrap)
    .WithUpstream(odk);
var mobileMoneyAdapter = builder.AddSuiteService<Projects.MobileMoneyAdapter>("mobile-money-adapter")
    .WithSuiteState(infra, bootstrap)
    .WithUpstreamToAdapt(mobileMoney)
    .WithProviderCallbacks(mobileMoney);
var paymentHubAdapter = builder.AddSuiteService<Projects.PaymentHubAdapter>("payment-hub-adapter")
    .WithSuiteState(infra, bootstrap)
    .WithUpstreamToAdapt(paymentHub)
    .WithProviderCallbacks(paymentHub)
    .AuthorizesBatchesOf(paymentHub);
var payroll = builder.AddSuiteService<Projects.Payroll>("payroll")
    .WithSuiteState(infra, bootstrap)
    .WithUpstream(fineract)     // read-only: reconciliation against Fineract's transactions
    .WithUpstream(mobileMoney)  // read-only: who holds a wallet, before it becomes a destination; reconciliation
    .WithUpstream(paymentHub);  // read-only: reconciliation against Payment Hub's transfers

// ── Portal: the suite's front door for evaluators and payroll staff, and the one-click demo ──
builder.AddPortal(mode, infra, [payroll, ihrisAdapter, fineractAdapter, odkAdapter, mobileMoneyAdapter, paymentHubAdapter],
    fineract, odk, ihris, mobileMoney, paymentHub);

builder.Build().Run();
