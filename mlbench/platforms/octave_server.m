## mlbench's GNU Octave server, run by mlbench/platforms/octave.py as
## `octave-cli --norc --quiet --no-history --no-window-system --no-line-editing octave_server.m`: one JSON request per stdin
## line (jsondecode, built into Octave >= 7), one JSON answer per stdout line. Doubles go back as "%.17g" strings
## (exact round trips; NaN and Inf spelled out). Whatever a handler prints, warnings included, is captured with
## evalc and written to stderr: the platform log, never the protocol.
1;  # a script file, not a function file: the functions below are defined first, the loop runs last

function out = num (x)
  ## doubles as exact text, always a JSON array (a cell encodes as one even with one element)
  out = arrayfun (@(v) sprintf ("%.17g", v), double (x(:)'), "UniformOutput", false);
endfunction

function out = one (x)
  out = sprintf ("%.17g", double (x));
endfunction

function cols = ints (x)
  ## 1-based positions from Python; jsondecode makes [] of an empty array and a scalar of a one-element one
  cols = reshape (double (x), 1, []);
endfunction

function M = read_f64 (path, rows, columns)
  ## the run's data as raw little-endian float64, column-major, written by numpy: exact by construction
  fid = fopen (path, "r");
  if (fid < 0)
    error ("cannot open %s", path);
  endif
  M = fread (fid, [rows, columns], "double", 0, "ieee-le");
  fclose (fid);
  if (! isequal (size (M), [rows, columns]))
    error ("%s holds %d values, expected %d x %d", path, numel (M), rows, columns);
  endif
endfunction

function r = h_hello (req)
  p = pkg ("list", "statistics");
  r = struct ("octave_version", version (), "statistics_version", p{1}.version, "pid", getpid ());
endfunction

function r = h_load (req)
  global S
  S = struct ();
  S.X = read_f64 (req.x_path, req.n, req.p);
  S.y = read_f64 (req.y_path, req.n, 1);
  S.n = req.n;
  S.X_test = [];
  if (isfield (req, "test_x_path"))
    S.X_test = read_f64 (req.test_x_path, req.n_test, req.p);
  endif
  S.models = struct ();
  S.next_id = 0;
  r = struct ("n", rows (S.X), "p", columns (S.X), "n_test", rows (S.X_test));
endfunction

function r = h_ols (req)
  ## fitlm with its defaults (an additive linear model of continuous predictors, treatment contrasts: no
  ## centring; anovan's QR fit); `display` off so it prints nothing
  global S
  cols = ints (req.features);
  if (isempty (cols))
    [~, st] = fitlm (zeros (S.n, 0), S.y, "constant", "display", "off");
  else
    [~, st] = fitlm (S.X(:, cols), S.y, "display", "off");
  endif
  c = st.coeffs;  # columns: estimate, SE, lower CI, upper CI, t, Prob>|t|
  r = struct ("estimate", {num(c(:, 1))}, "std_error", {num(c(:, 2))}, "t_value", {num(c(:, 5))},
              "p_value", {num(c(:, 6))}, "rss", one (sum (st.resid .^ 2)), "df_resid", st.dfe,
              "n_obs", numel (st.Y), "tss", one (sum ((S.y - mean (S.y)) .^ 2)));
endfunction

function A = design (cols, intercept)
  global S
  if (intercept)
    A = [ones(S.n, 1), S.X(:, cols)];
  else
    A = S.X(:, cols);
  endif
endfunction

function r = h_rss (req)
  ## regress (Matlab's signature, QR) for its coefficients only, and its residuals as regress forms them
  ## (r = y - X * b): asking regress for them (nargout 3) also computes its confidence intervals, whose tinv
  ## costs 19 ms a call in statistics 1.5.3 against 0.6 ms for the whole fit, the unit of a subset search
  global S
  cols = ints (req.features);
  A = design (cols, req.intercept);
  if (columns (A) == 0)
    resid = S.y;  # y ~ 0 predicts 0
  else
    resid = S.y - A * regress (S.y, A);
  endif
  r = struct ("rss", one (sum (resid .^ 2)));
endfunction

function r = h_r_squared (req)
  ## regress's own R² (stats(1) = 1 - SSE / sum((y - mean(y)).^2)) of a feature on the others plus an intercept
  global S
  [~, ~, ~, ~, stats] = regress (S.X(:, req.target), design (ints (req.features), true));
  r = struct ("r_squared", one (stats(1)));
endfunction

function r = h_stepwise (req)
  ## stepwisefit(y, X, penter, premove, method): the predictors in the order they entered
  global S
  cols = ints (req.features);
  used = stepwisefit (S.y, S.X(:, cols), req.penter, req.premove, req.method);
  r = struct ("order", {num2cell(reshape (used, 1, []))});
endfunction

function r = h_fit (req)
  global S
  switch (req.family)
    case "linear"
      model = struct ("family", "linear", "b", regress (S.y, [ones(S.n, 1), S.X]));
    case "logistic"
      [intercept, slope] = logistic_regression (S.y, S.X);
      model = struct ("family", "logistic", "intercept", intercept, "slope", slope);
    otherwise
      error ("unsupported model family: %s", req.family);
  endswitch
  S.next_id += 1;
  key = sprintf ("m%d", S.next_id);
  S.models.(key) = model;
  r = struct ("model", key);
endfunction

function r = h_predict (req)
  global S
  if (! isfield (S.models, req.model))
    error ("no model %s in this Octave session", req.model);
  endif
  if (isempty (S.X_test))
    error ("no test set loaded");
  endif
  m = S.models.(req.model);
  if (strcmp (m.family, "linear"))
    p = [ones(rows (S.X_test), 1), S.X_test] * m.b;
  else
    ## logistic_regression models logit P(y <= first category) = x * slope + intercept: P(y = 1) is its complement
    p = 1 ./ (1 + exp (S.X_test * m.slope + m.intercept));
  endif
  fid = fopen (req.out, "w");
  fwrite (fid, p, "double", 0, "ieee-le");
  fclose (fid);
  r = struct ("n", numel (p));
endfunction

function r = h_release (req)
  global S
  if (isfield (S.models, req.model))
    S.models = rmfield (S.models, req.model);
  endif
  r = struct ("released", req.model);
endfunction

function reply = answer (req)
  handlers = struct ("hello", @h_hello, "load", @h_load, "ols", @h_ols, "rss", @h_rss,
                     "r_squared", @h_r_squared, "stepwise", @h_stepwise, "fit", @h_fit,
                     "predict", @h_predict, "release", @h_release);
  if (! isfield (handlers, req.task))
    error ("unknown task: %s", req.task);
  endif
  handler = handlers.(req.task);
  result = [];
  noise = evalc ("result = handler (req);");  # printing and warnings go to the log, not the protocol
  if (! isempty (noise))
    fputs (stderr, noise);
    fflush (stderr);
  endif
  reply = struct ("ok", true, "result", result);
endfunction

function serve ()
  while (true)
    ## input(), not fgetl(stdin): fgetl on a pipe blocks until its buffer fills; input reads one line (with
    ## --no-line-editing, no prompt, no echo) and raises at the end of stdin
    try
      line = input ("", "s");
    catch
      break;  # stdin closed: mlbench is done with this session
    end_try_catch
    if (isempty (line))
      continue;
    endif
    try
      req = jsondecode (line);
    catch
      req = [];
    end_try_catch
    if (isstruct (req) && isfield (req, "task") && strcmp (req.task, "quit"))
      break;
    endif
    if (! (isstruct (req) && isfield (req, "task")))
      reply = struct ("ok", false, "error", "malformed request");
    else
      try
        reply = answer (req);
      catch err
        reply = struct ("ok", false, "error", err.message);
      end_try_catch
    endif
    fputs (stdout, [jsonencode(reply), "\n"]);
    fflush (stdout);
  endwhile
endfunction

crash_dumps_octave_core (false);  # a killed server must not write octave-workspace into the run directory
warning ("off", "Octave:shadowed-function");  # statistics 1.5.3 shadows mean, median, std, var (shadow9/)
pkg load statistics
serve ();
