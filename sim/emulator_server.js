// Runs telegram-test-api (from /work/main/node_modules) for bot/emulator.py.
//
// - Listens on 127.0.0.1 on a port the OS picks, then prints {"port": N} as one line on
//   stdout: the Python side reads it, so there is no race for a "free" port.
// - Exits when stdin closes (the Python process that started it ended, even by a crash) or on
//   SIGTERM/SIGINT: the emulator never outlives its test.
// - Adds two things the package lacks (registered before its own routes):
//   * POST /sendCallback answers {callback_query_id}, so a client knows which press a bot's
//     answerCallbackQuery belongs to (the package answers null);
//   * answerCallbackQuery calls are recorded and POST /getCallbackAnswers {token} lists
//     them (the package drops them: without this a test cannot see the toast a user gets);
//   * forwardMessage (POST /bot<token>/forwardMessage): a bot message carrying the user's
//     original content (voice, photo ...) and forward_from_chat_id/forward_from_message_id;
//   * documents (the package answers 500 to sendDocument): POST /bot<token>/sendDocument with
//     the file as the raw body (application/octet-stream) and chat_id, caption, file_name,
//     mime_type, reply_markup in the query string (sim/emulator.py turns PTB's multipart
//     upload into this, so no multipart parser is needed here) stores the file and a bot
//     message with a `document`; POST /getDocument {token, file_id} returns the file's bytes,
//     for a test to read what the user received.
'use strict';

const express = require('express');
const TelegramServer = require('telegram-test-api');
const { routes } = require('telegram-test-api/lib/routes/index');

const answers = [];
const documents = new Map(); // file_id -> {token, data, mimeType}
let nextDocument = 1;

routes.unshift((app, server) => {
  app.post('/sendCallback', (req, res) => {
    const id = server.callbackId; // addUserCallback assigns this id, then increments it
    server.addUserCallback(req.body).then(
      () => res.json({ ok: true, result: { callback_query_id: String(id) } }),
      (err) => res.status(400).json({ ok: false, description: String(err) }),
    );
  });
  app.all('/bot:token/answerCallbackQuery', (req, _res, next) => {
    answers.push({ token: req.params.token, ...req.body });
    next(); // the package's own handler replies
  });
  app.post('/getCallbackAnswers', (req, res) => {
    res.json({ ok: true, result: answers.filter((a) => a.token === req.body.token) });
  });
  const raw = express.raw({ type: 'application/octet-stream', limit: '50mb' });
  app.post('/bot:token/sendDocument', raw, (req, res) => {
    const q = req.query;
    if (!Buffer.isBuffer(req.body) || req.body.length === 0 || !q.chat_id) {
      res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: there is no document in the request' });
      return;
    }
    const fileId = `emulator-document-${nextDocument++}`;
    const mimeType = q.mime_type || 'application/octet-stream';
    documents.set(fileId, { token: req.params.token, data: req.body, mimeType });
    const document = {
      file_id: fileId, file_unique_id: fileId, file_name: q.file_name || 'document', mime_type: mimeType, file_size: req.body.length,
    };
    const message = { chat_id: q.chat_id, caption: q.caption || '', document };
    if (q.reply_markup) message.reply_markup = q.reply_markup;
    res.json({ ok: true, result: server.addBotMessage(message, req.params.token) });
  });
  // forwardMessage (the package answers 500): a bot message in the target chat carrying the
  // forwarded user message's content (voice, photo, video_note, ...) and where it came from.
  app.post('/bot:token/forwardMessage', (req, res) => {
    const b = req.body;
    if (!b.chat_id || !b.from_chat_id || !b.message_id) {
      res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: chat_id, from_chat_id and message_id are required' });
      return;
    }
    const original = server.storage.userMessages.find(
      (u) => u.message && String(u.messageId) === String(b.message_id) && String((u.message.chat || {}).id) === String(b.from_chat_id),
    );
    const message = { chat_id: b.chat_id, text: '', forward_from_chat_id: Number(b.from_chat_id), forward_from_message_id: Number(b.message_id) };
    for (const key of ['voice', 'photo', 'video_note', 'video', 'audio', 'document', 'caption', 'text', 'from']) {
      if (original && original.message[key] !== undefined) message[key === 'from' ? 'forward_from' : key] = original.message[key];
    }
    res.json({ ok: true, result: server.addBotMessage(message, req.params.token) });
  });
  app.post('/getDocument', (req, res) => {
    const doc = documents.get(req.body.file_id);
    if (!doc || doc.token !== req.body.token) {
      res.status(404).json({ ok: false, description: 'no such document' });
      return;
    }
    res.type(doc.mimeType).send(doc.data);
  });
});

async function main() {
  // storeTimeout: the package deletes messages older than this (default 60 s), history too.
  const server = new TelegramServer({ host: '127.0.0.1', port: 1, storeTimeout: 24 * 3600 });
  server.config.port = 0; // normalizeConfig turns 0 into 9000; set it after construction
  await server.start();
  process.stdout.write(`${JSON.stringify({ port: server.server.address().port })}\n`);

  const stop = () => {
    setTimeout(() => process.exit(0), 1000).unref(); // don't wait on kept-alive sockets
    server.stop().finally(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
