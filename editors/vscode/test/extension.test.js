// The language client's activation and configuration, with node's test runner. VS Code cannot
// run here, so `vscode` and `vscode-languageclient/node` are replaced by fakes that record
// what the extension asks of them.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const Module = require("node:module");
const path = require("node:path");
const fs = require("node:fs");

const state = { settings: {}, errors: [], commands: {}, listeners: [], clients: [] };

const fakeVscode = {
  workspace: {
    getConfiguration(section) {
      assert.equal(section, "slimdsl");
      return { get: (key) => state.settings[key] };
    },
    onDidChangeConfiguration(listener) {
      state.listeners.push(listener);
      return { dispose() {} };
    },
    createFileSystemWatcher(glob) {
      return { glob, dispose() {} };
    },
  },
  window: {
    showErrorMessage(message) {
      state.errors.push(message);
      return Promise.resolve(undefined);
    },
  },
  commands: {
    registerCommand(id, fn) {
      state.commands[id] = fn;
      return { dispose() {} };
    },
  },
};

class FakeClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions, started: false, stopped: false });
    state.clients.push(this);
  }
  start() {
    if (state.failStart) {
      return Promise.reject(new Error(state.failStart));
    }
    this.started = true;
    return Promise.resolve();
  }
  stop() {
    this.stopped = true;
    return Promise.resolve();
  }
}

const fakeClientModule = { LanguageClient: FakeClient, TransportKind: { stdio: 0, ipc: 1 } };
const realLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === "vscode") return fakeVscode;
  if (request === "vscode-languageclient/node") return fakeClientModule;
  return realLoad.call(this, request, parent, isMain);
};

const extension = require("../extension.js");
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));

function reset(settings = {}) {
  Object.assign(state, { settings, errors: [], commands: {}, listeners: [], clients: [],
                         failStart: undefined });
}

async function activated(settings) {
  reset(settings);
  const context = { subscriptions: [] };
  await extension.activate(context);
  return context;
}

test("activation starts slimc lsp over stdio for slimdsl documents", async () => {
  const context = await activated({});
  const [client] = state.clients;
  assert.equal(client.id, "slimdsl");
  assert.deepEqual(client.serverOptions.run, { command: "slimc", args: ["lsp"], transport: 0 });
  assert.deepEqual(client.clientOptions.documentSelector, [
    { scheme: "file", language: "slimdsl" }, { scheme: "untitled", language: "slimdsl" }]);
  assert.equal(client.clientOptions.synchronize.fileEvents.glob, "**/*.{slim,slimdsl}");
  assert.ok(client.started);
  assert.equal(context.subscriptions.length, 2);
  await extension.deactivate();
  assert.ok(client.stopped);
});

test("the server path and arguments come from the settings", async () => {
  await activated({ "server.path": "/opt/env/bin/slimc", "server.args": ["--verbose"] });
  const [client] = state.clients;
  assert.equal(client.serverOptions.run.command, "/opt/env/bin/slimc");
  assert.deepEqual(client.serverOptions.run.args, ["--verbose", "lsp"]);
  await extension.deactivate();
});

test("changing the server settings restarts the server; other settings do not", async () => {
  await activated({});
  const [first] = state.clients;
  state.settings["server.path"] = "/new/slimc";
  await state.listeners[0]({ affectsConfiguration: (s) => s === "slimdsl.server" });
  const [, second] = state.clients;
  assert.ok(first.stopped && second.started);
  assert.equal(second.serverOptions.run.command, "/new/slimc");
  await state.listeners[0]({ affectsConfiguration: () => false });
  assert.equal(state.clients.length, 2);
  await extension.deactivate();
});

test("the restart command starts a new server", async () => {
  await activated({});
  await state.commands["slimdsl.restartServer"]();
  assert.equal(state.clients.length, 2);
  assert.ok(state.clients[0].stopped && state.clients[1].started);
  await extension.deactivate();
});

test("a server that cannot start is explained, with how to install it", async () => {
  reset({ "server.path": "/missing/slimc" });
  state.failStart = "spawn /missing/slimc ENOENT";
  await extension.activate({ subscriptions: [] });
  assert.equal(state.errors.length, 1);
  assert.match(state.errors[0], /cannot start the language server '\/missing\/slimc lsp'/);
  assert.match(state.errors[0], /ENOENT/);
  assert.match(state.errors[0], /pip install 'slimdsl\[lsp\]'/);
  await extension.deactivate();  // nothing to stop: no error
});

test("the manifest declares what the client reads and registers", () => {
  assert.equal(manifest.main, "./extension.js");
  const props = manifest.contributes.configuration.properties;
  assert.equal(props["slimdsl.server.path"].default, "slimc");
  assert.deepEqual(props["slimdsl.server.args"].default, []);
  assert.deepEqual(props["slimdsl.trace.server"].enum, ["off", "messages", "verbose"]);
  assert.deepEqual(manifest.contributes.commands.map((c) => c.command),
                   ["slimdsl.restartServer"]);
  assert.ok(manifest.activationEvents.includes("onLanguage:slimdsl"));
  assert.ok(manifest.dependencies["vscode-languageclient"]);
});
