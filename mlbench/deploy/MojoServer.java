// One long-lived scorer of an H2O MOJO, driven by mlbench.deploy.mojo_jvm over stdin/stdout (no port).
//
// Usage: java -cp h2o-genmodel.jar:<dir of this class> MojoServer MODEL.zip classification|regression
//
// Framing (all big-endian, as java.io.DataInput/DataOutput):
//   in:  int n_features, then per feature: int byte length + UTF-8 name     (the RowData column names)
//   out: int 0 (ok), UTF-8 model category, int n_inputs, the model's input column names     -- or an error
//   then, per batch:
//   in:  int n_rows (>= 0), then n_rows * n_features doubles, row-major
//   out: int 0 (ok), then n_rows doubles: P(class 1) for classification, the value for regression -- or an error
//   error: int 1, then int byte length + UTF-8 message; after a failed load the JVM exits.
// End of input (the Python side closed the pipe or died) ends the JVM.

import hex.genmodel.MojoModel;
import hex.genmodel.easy.EasyPredictModelWrapper;
import hex.genmodel.easy.RowData;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.charset.StandardCharsets;

public final class MojoServer {
    private static final int MAX_NAME_BYTES = 1 << 20;
    private static final long MAX_BATCH_BYTES = 1L << 30;

    private MojoServer() {
    }

    public static void main(String[] args) throws IOException {
        // the protocol owns stdout: anything a library prints goes to stderr instead
        DataOutputStream out = new DataOutputStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, "UTF-8"));
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
        if (args.length != 2) {
            fail(out, "usage: MojoServer MODEL.zip classification|regression");
            System.exit(2);
        }
        boolean binomial = "classification".equals(args[1]);
        String[] features;
        EasyPredictModelWrapper model;
        MojoModel mojo;
        try {
            int count = in.readInt();
            features = new String[count];
            for (int i = 0; i < count; i++) {
                features[i] = readString(in);
            }
            mojo = MojoModel.load(args[0]);
            model = new EasyPredictModelWrapper(mojo);
        } catch (EOFException e) {
            System.exit(0);
            return;
        } catch (Exception | LinkageError e) {
            fail(out, "cannot load MOJO " + args[0] + ": " + describe(e));
            System.exit(1);
            return;
        }
        out.writeInt(0);
        writeString(out, String.valueOf(mojo.getModelCategory()));
        int inputs = mojo.nfeatures();
        String[] names = mojo.getNames();
        out.writeInt(inputs);
        for (int i = 0; i < inputs; i++) {
            writeString(out, names[i]);
        }
        out.flush();

        RowData row = new RowData();
        while (true) {
            int rows;
            try {
                rows = in.readInt();
            } catch (EOFException e) {
                return;  // the Python side is gone or done
            }
            long size = (long) rows * features.length * Double.BYTES;
            if (rows < 0 || size > MAX_BATCH_BYTES) {
                fail(out, "bad batch size " + rows);
                System.exit(3);
            }
            byte[] raw = new byte[(int) size];
            try {
                in.readFully(raw);
            } catch (EOFException e) {
                return;
            }
            DoubleBuffer values = ByteBuffer.wrap(raw).asDoubleBuffer();  // big-endian, as Python sent it
            double[] predictions = new double[rows];
            String error = null;
            try {
                for (int r = 0; r < rows; r++) {
                    for (String feature : features) {
                        row.put(feature, values.get());
                    }
                    predictions[r] = binomial
                        ? model.predictBinomial(row).classProbabilities[1]
                        : model.predictRegression(row).value;
                }
            } catch (Exception e) {
                error = describe(e);
            }
            if (error != null) {
                fail(out, error);
                continue;
            }
            out.writeInt(0);
            for (double p : predictions) {
                out.writeDouble(p);
            }
            out.flush();
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getName() + (message == null ? "" : ": " + message);
    }

    private static void fail(DataOutputStream out, String message) throws IOException {
        out.writeInt(1);
        writeString(out, message);
        out.flush();
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_NAME_BYTES) {
            throw new IOException("bad name length " + length);
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void writeString(DataOutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }
}
