// The pinned vscode-languageclient (installed by `npm ci`) exports what extension.js uses.
// Loading it needs `vscode`, which only VS Code provides: a stand-in that answers every
// property with a callable stand-in is enough for the module to load.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const Module = require("node:module");

test("vscode-languageclient/node provides LanguageClient and the stdio transport", () => {
  const handler = { get: (target, prop) => (prop in target ? target[prop]
                                                            : new Proxy(function () {}, handler)) };
  const realLoad = Module._load;
  Module._load = function load(request, parent, isMain) {
    if (request === "vscode") return new Proxy({}, handler);
    return realLoad.call(this, request, parent, isMain);
  };
  try {
    const lc = require("vscode-languageclient/node");
    assert.equal(typeof lc.LanguageClient, "function");
    assert.equal(typeof lc.LanguageClient.prototype.start, "function");
    assert.equal(typeof lc.LanguageClient.prototype.stop, "function");
    assert.equal(lc.TransportKind.stdio, 0);
  } finally {
    Module._load = realLoad;
  }
});
