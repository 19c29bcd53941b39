// The slimdsl extension's language client: starts `slimc lsp` for .slim files.
//
// Settings: slimdsl.server.path (the slimc executable, default "slimc" on PATH),
// slimdsl.server.args (arguments before "lsp"), slimdsl.trace.server (LSP trace in the output
// channel). Changing the server settings restarts the server; so does the command
// "slimdsl: Restart Language Server".
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

const SECTION = "slimdsl";
const INSTALL_HINT = "Install it with: pip install 'slimdsl[lsp]', or set slimdsl.server.path " +
  "to the slimc of the environment slimdsl is installed in.";

/** The command that runs the server, from the settings. */
function serverOptions(config) {
  const command = (config.get("server.path") || "slimc").trim() || "slimc";
  const extra = config.get("server.args") || [];
  const run = { command, args: [...extra, "lsp"], transport: TransportKind.stdio };
  return { run, debug: run };
}

/** What the client sends the server: .slim documents on disk and unsaved ones. */
function clientOptions() {
  return {
    documentSelector: [
      { scheme: "file", language: "slimdsl" },
      { scheme: "untitled", language: "slimdsl" },
    ],
    // an imported file changed on disk: the server re-checks the open files importing it
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{slim,slimdsl}"),
    },
  };
}

let client;

async function start() {
  const config = vscode.workspace.getConfiguration(SECTION);
  const options = serverOptions(config);
  client = new LanguageClient("slimdsl", "slimdsl language server", options, clientOptions());
  try {
    await client.start();
  } catch (err) {
    const reason = err && err.message ? err.message : String(err);
    client = undefined;
    vscode.window.showErrorMessage(
      `slimdsl: cannot start the language server '${options.run.command} ` +
      `${options.run.args.join(" ")}': ${reason}. ${INSTALL_HINT}`);
  }
}

async function stop() {
  if (client !== undefined) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

async function restart() {
  await stop();
  await start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("slimdsl.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.server`)) {
        return restart();
      }
      return undefined;
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate, serverOptions, clientOptions, INSTALL_HINT };
