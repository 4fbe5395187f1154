// The little JavaScript the pages use, in one file so the Content-Security-Policy needs no
// inline script. Every part finds its elements first and does nothing on other pages.

// A form with data-confirm asks first (deleting a project).
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
  });
});

// The report form: bring the first error into view, one tap only, and a voice recorder where
// the browser has one (the file picker stays for the others).
(function () {
  var firstError = document.querySelector(".field.invalid");
  if (firstError) { firstError.scrollIntoView({block: "center"}); }
  var form = document.getElementById("report-form");
  if (!form) return;
  var button = document.getElementById("submit-button");
  form.addEventListener("submit", function () {
    // one tap is enough; the server also keeps one report per form
    setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
  });
  var input = document.getElementById("f-voice");
  if (!input || !window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return;
  var box = document.getElementById("recorder"), rec = document.getElementById("record-button");
  var status = document.getElementById("record-status"), preview = document.getElementById("record-preview");
  box.hidden = false;
  var recorder = null, chunks = [], timer = null, seconds = 0;
  function stop() { if (recorder && recorder.state === "recording") recorder.stop(); }
  rec.addEventListener("click", function () {
    if (recorder && recorder.state === "recording") { stop(); return; }
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (stream) {
      chunks = []; seconds = 0;
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (e) { if (e.data.size) chunks.push(e.data); };
      recorder.onstop = function () {
        clearInterval(timer);
        stream.getTracks().forEach(function (t) { t.stop(); });
        var type = recorder.mimeType || "audio/webm";
        var file = new File(chunks, "voice." + (type.indexOf("mp4") >= 0 ? "m4a" : "webm"), {type: type});
        var list = new DataTransfer(); list.items.add(file); input.files = list.files;
        preview.src = URL.createObjectURL(file); preview.hidden = false;
        rec.textContent = "重新录音"; status.textContent = "录好了，" + seconds + "秒。";
      };
      recorder.start();
      rec.textContent = "按一下停止";
      timer = setInterval(function () {
        seconds += 1; status.textContent = "正在录音 " + seconds + " 秒（最多120秒）";
        if (seconds >= 120) stop();
      }, 1000);
    }).catch(function () { status.textContent = "不能录音，请选择录音文件，或打字说明。"; });
  });
})();
