package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.DifferentialTestBase;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The libraries Redis 7.0 gives scripts (cjson, cmsgpack, bit, struct) and its math.random,
 * against a real redis-server 7.0.15, whole EVAL reply for whole EVAL reply (errors included,
 * with their script line): Redis's own TCL tests' scripts, then round trips, edge numbers,
 * nesting limits, settings, binary strings and every error text found by probing.
 *
 * <p>Scripts return {@code S(...)}: every value typed and escaped (numbers as %.17g, strings
 * quoted with non-printable bytes as \xNN, or their SHA-1 past 300 bytes, tables as their
 * sorted entries), so a difference anywhere in a result shows; {@code H(s)} is a string's hex.
 *
 * <p>Tables whose key order shows (cjson and cmsgpack follow {@code next}) have no string keys
 * of 32 bytes or more: Redis's Lua hashes every byte of a string, LuaJava's stock Lua 5.1 samples
 * long ones, so such tables iterate in a different order in any script. Nor is nil ever assigned
 * to a string key in them: in Lua 5.1 a deleted string key that a garbage collection marks dead
 * is not found again when it is set again, so the order then depends on when collections ran,
 * which differs from one Lua state's history to another's (Redis's too).
 */
class ScriptLibrariesDifferentialTest extends DifferentialTestBase {

  /** Helpers the scripts use; one line, so error lines are the script's own plus one. */
  private static final String HELPERS =
      "local function H(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end "
          + "local function Q(s) return (string.gsub(string.format('%q', s), '[%z\\1-\\31\\127-\\255]', "
          + "function(c) return string.format('\\\\x%02x', string.byte(c)) end)) end "
          + "local S1 S1 = function(v, d) local t = type(v) "
          + "if t == 'string' then if #v > 300 then return 'sha1:' .. redis.sha1hex(v) .. '/' .. #v end return Q(v) elseif t == 'number' then return 'n' .. string.format('%.17g', v) "
          + "elseif t == 'table' then if d > 40 then return '{...}' end local parts = {} "
          + "for k, x in pairs(v) do parts[#parts + 1] = '[' .. S1(k, d + 1) .. ']=' .. S1(x, d + 1) end "
          + "table.sort(parts) return '{' .. table.concat(parts, ',') .. '}' "
          + "elseif t == 'userdata' then return 'u:' .. tostring(v) elseif t == 'function' or t == 'thread' then return t "
          + "else return tostring(v) end end "
          + "local function S(...) local out = {} for i = 1, select('#', ...) do out[i] = S1((select(i, ...)), 0) end "
          + "return select('#', ...) .. ':' .. table.concat(out, ' ') end\n";

  @BeforeEach
  void flushScripts() throws Exception {
    d.check("SCRIPT", "FLUSH");
  }

  /**
   * EVAL of the helpers then {@code body}, no keys, {@code args} as ARGV; Redis's reply. A script
   * that does not compile would compare equal on both sides, so it fails the test.
   */
  private String eval(String body, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("EVAL", HELPERS + body, "0"));
    argv.addAll(List.of(args));
    String reply = d.check(argv.toArray(new String[0]));
    assertTrue(!reply.startsWith("-ERR Error compiling"), body + " -> " + reply);
    return reply;
  }

  /** {@code return S(<expression>)} for each expression, which must not raise. */
  private void values(String... expressions) throws Exception {
    for (String e : expressions) {
      String reply = eval("return S(" + e + ")");
      assertTrue(reply.startsWith("\""), e + " -> " + reply);
    }
  }

  /** {@code return S(pcall(function() return <expression> end))}: the value or the error's text. */
  private void outcomes(String... expressions) throws Exception {
    for (String e : expressions) {
      String reply = eval("return S(pcall(function() return " + e + " end))");
      assertTrue(reply.startsWith("\""), e + " -> " + reply);
    }
  }

  // ---- Redis's own tests (unit/scripting.tcl), with their expected replies

  @Test
  void redisTclTestsPass() throws Exception {
    assertEquals("\"0 -5000 -1 0.0003 1023.2 0\"", d.check("EVAL",
        "return table.concat(cjson.decode(\"[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]\"), \" \")", "0"));
    assertEquals("[\"a\", \"b\"]", d.check("EVAL",
        "local decoded = cjson.decode('{\"keya\": \"a\", \"keyb\": \"b\"}')\nreturn {decoded.keya, decoded.keyb}", "0"));
    assertEquals("(nil)", d.check("EVAL", """
        local some_map = {
            s1="Some string",
            n1=100,
            a1={"Some","String","Array"},
            nil1=nil,
            b1=true,
            b2=false}
        local encoded = cjson.encode(some_map)
        local decoded = cjson.decode(encoded)
        assert(table.concat(some_map) == table.concat(decoded))

        cjson.encode_keep_buffer(false)
        encoded = cjson.encode(some_map)
        decoded = cjson.decode(encoded)
        assert(table.concat(some_map) == table.concat(decoded))

        -- Table with numeric keys
        local table1 = {one="one", [1]="one"}
        encoded = cjson.encode(table1)
        decoded = cjson.decode(encoded)
        assert(decoded["one"] == table1["one"])
        assert(decoded["1"] == table1[1])

        -- Array
        local array1 = {[1]="one", [2]="two"}
        encoded = cjson.encode(array1)
        decoded = cjson.decode(encoded)
        assert(table.concat(array1) == table.concat(decoded))

        -- Invalid keys
        local invalid_map = {}
        invalid_map[false] = "false"
        local ok, encoded = pcall(cjson.encode, invalid_map)
        assert(ok == false)

        -- Max depth
        cjson.encode_max_depth(1)
        ok, encoded = pcall(cjson.encode, some_map)
        assert(ok == false)

        cjson.decode_max_depth(1)
        ok, decoded = pcall(cjson.decode, '{"obj": {"array": [1,2,3,4]}}')
        assert(ok == false)

        -- Invalid numbers
        ok, encoded = pcall(cjson.encode, {num1=0/0})
        assert(ok == false)
        cjson.encode_invalid_numbers(true)
        ok, encoded = pcall(cjson.encode, {num1=0/0})
        assert(ok == true)

        -- Restore defaults
        cjson.decode_max_depth(1000)
        cjson.encode_max_depth(1000)
        cjson.encode_invalid_numbers(false)
        """, "0"));
    String hexLoop = "local h = \"\"\nfor i = 1, #encoded do\n h = h .. string.format(\"%02x\",string.byte(encoded,i))\nend\n";
    assertEquals("\"cb3fb999999999999a\"",
        d.check("EVAL", "local encoded = cmsgpack.pack(0.1)\n" + hexLoop + "return h", "0"));
    assertEquals("\"d3ffffff0000000000\"",
        d.check("EVAL", "local encoded = cmsgpack.pack(-1099511627776)\n" + hexLoop + "return h", "0"));
    assertEquals("(nil)", d.check("EVAL", """
        local str_lt_32 = string.rep("x", 30)
        local str_lt_255 = string.rep("x", 250)
        local str_lt_65535 = string.rep("x", 65530)
        local str_long = string.rep("x", 100000)
        local array_lt_15 = {1, 2, 3, 4, 5}
        local array_lt_65535 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}
        local array_big = {}
        for i=1, 100000 do
            array_big[i] = i
        end
        local map_lt_15 = {a=1, b=2}
        local map_big = {}
        for i=1, 100000 do
            map_big[tostring(i)] = i
        end
        local some_map = {
            s1=str_lt_32,
            s2=str_lt_255,
            s3=str_lt_65535,
            s4=str_long,
            d1=0.1,
            i1=1,
            i2=250,
            i3=65530,
            i4=100000,
            i5=2^40,
            i6=-1,
            i7=-120,
            i8=-32000,
            i9=-100000,
            i10=-3147483648,
            a1=array_lt_15,
            a2=array_lt_65535,
            a3=array_big,
            m1=map_lt_15,
            m2=map_big,
            b1=false,
            b2=true,
            n=nil
        }
        local encoded = cmsgpack.pack(some_map)
        local decoded = cmsgpack.unpack(encoded)
        assert(table.concat(some_map) == table.concat(decoded))
        local offset, decoded_one = cmsgpack.unpack_one(encoded, 0)
        assert(table.concat(some_map) == table.concat(decoded_one))
        assert(offset == -1)

        local encoded_multiple = cmsgpack.pack(str_lt_32, str_lt_255, str_lt_65535, str_long)
        local offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, 0)
        assert(obj == str_lt_32)
        offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
        assert(obj == str_lt_255)
        offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
        assert(obj == str_lt_65535)
        offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
        assert(obj == str_long)
        assert(offset == -1)
        """, "0"));
    assertEquals("[\"82a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a178c0\", :1, :1]",
        d.check("EVAL", """
            local a = {x=nil,y=5}
            local b = {x=a}
            a['x'] = b
            local encoded = cmsgpack.pack(a)
            local h = ""
            for i = 1, #encoded do
                h = h .. string.format("%02x",string.byte(encoded,i))
            end
            local re = cmsgpack.unpack(encoded)
            assert(re)
            assert(re.x)
            assert(re.x.x.y == re.y)
            assert(re.x.x.x.x.y == re.y)
            assert(re.x.x.x.x.x.x.y == re.y)
            assert(re.x.x.x.x.x.x.x.x.x.x.y == re.y)
            assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.y == re.y)
            assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x)
            assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil)
            return {h, re.x.x.x.x.x.x.x.x.y == re.y, re.y == 5}
            """, "0"));
    assertEquals("(nil)", d.check("EVAL", """
        assert(0x7fffffff == 2147483647, "broken hex literals");
        assert(0xffffffff == -1 or 0xffffffff == 2^32-1,
            "broken hex literals");
        assert(tostring(-1) == "-1", "broken tostring()");
        assert(tostring(0xffffffff) == "-1" or
            tostring(0xffffffff) == "4294967295",
            "broken tostring()")
        """, "0"));
    assertEquals("(nil)", d.check("EVAL", """
        assert(bit.tobit(1) == 1);
        assert(bit.band(1) == 1);
        assert(bit.bxor(1,2) == 3);
        assert(bit.bor(1,2,4,8,16,32,64,128) == 255)
        """, "0"));
    for (String trick : List.of("cjson.encode = function() return 1 end", "cmsgpack.pack = function() return 1 end",
        "bit.lshift = function() return 1 end", "struct.pack = function() return 1 end", "cjson.null = 1",
        "math.random = function() return 1 end")) {
      assertTrue(d.check("EVAL", trick, "0").contains("Attempt to modify a readonly table"), trick);
    }
  }

  @Test
  void thePrngIsSeededAsRedisSeedsIt() throws Exception {
    String seeded = "math.randomseed(ARGV[1]); return tostring(math.random())";
    String rand1 = d.check("EVAL", seeded, "0", "10");
    String rand2 = d.check("EVAL", seeded, "0", "10");
    String rand3 = d.check("EVAL", seeded, "0", "20");
    assertEquals("\"0.87885112309775\"", rand1);
    assertEquals(rand1, rand2);
    assertNotEquals(rand2, rand3);
    // random numbers are random now: the state goes on from one script to the next.
    String first = d.keyshard().call("EVAL", "return tostring(math.random())", "0");
    assertNotEquals(first, d.keyshard().call("EVAL", "return tostring(math.random())", "0"));
    eval("math.randomseed(10) local t = {} for i = 1, 20 do t[#t + 1] = math.random() end "
        + "for i = 1, 20 do t[#t + 1] = math.random(7) end for i = 1, 20 do t[#t + 1] = math.random(-3, 3) end return S(t)");
    for (String seed : List.of("0", "-1", "1.9", "2147483648", "-2147483649", "1099511627783", "'7'", "' 12 '", "1e300", "0/0")) {
      eval("math.randomseed(" + seed + ") return S(math.random(), math.random(100), math.random(-2^31, 2^31 - 1), "
          + "math.random(2^32 + 5), math.random(3.9), math.random('4'), math.random(5, 5))");
    }
    eval("math.randomseed(3) local a = math.random() math.randomseed(3) return S(a == math.random())");
    outcomes("math.random(0)", "math.random(5, 4)", "math.random(1, 2, 3)", "math.random('x')", "math.random(nil)",
        "math.random(1, nil)", "math.random({})", "math.random(0/0)", "math.random(1e100)", "math.randomseed()",
        "math.randomseed('x')", "math.randomseed(1, 2)");
    for (String e : List.of("math.random(0)", "math.random(5, 4)", "math.random(1, 2, 3)", "math.random('x')",
        "math.randomseed()", "local r = math.random; r({})", "math:random()")) {
      d.check("EVAL", e, "0");
    }
    // The argument errors come after the generator moved, as in Redis.
    eval("math.randomseed(5) pcall(math.random, 0) return S(math.random())");
  }

  // ---- random inputs: the same generator, seeded the same, makes the same inputs on both servers

  /** Lua that makes random values, JSON and msgpack mutations, struct formats (after math.randomseed). */
  private static final String GENERATORS = """
      local R = math.random
      -- 64 KB strings: in the value round trips only (mutating them is slow on both servers).
      local big = true
      local numbers = {0, -0, 1, -1, 0.5, 0.1, 1/3, 2^31, 2^32, 2^53, 2^63, -2^63, 2^64, 1e300, -1e-300, 5e-324,
        3.4028234663852886e38, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, -32768, -32769, 1/0, -1/0, 0/0}
      local function number()
        local k = R(4)
        if k == 1 then return numbers[R(#numbers)] end
        if k == 2 then return R(-100000, 100000) end
        if k == 3 then return (R() - 0.5) * 10 ^ R(-20, 20) end
        return R(-2^31, 2^31 - 1) * 2 ^ R(0, 40)
      end
      local function bytes(n)
        local b = {}
        for i = 1, n do b[i] = string.char(R(0, 255)) end
        return table.concat(b)
      end
      local function str()
        local k = R(4)
        if k == 1 then return bytes(R(0, 40)) end
        if k == 2 then return ({'a', 'key', '1', '-2', '0x10', '1e3', 'nan', '', ' ', 'null'})[R(10)] end
        if k == 3 then return string.rep('x', ({31, 32, 255, 256, 65535, 65536})[R(big and 6 or 4)]) end
        return 'k' .. R(100)
      end
      local value
      local function key()
        local k = R(6)
        if k <= 2 then local s = str() return #s < 32 and s or s:sub(1, 31) end
        if k <= 4 then return R(1, 20) end
        if k == 5 then local n = number() if n ~= n then return 1.5 end return n end
        return R(2) == 1
      end
      value = function(depth)
        local k = R(depth > 4 and 5 or 8)
        if k == 1 then return number() end
        if k == 2 then return str() end
        if k == 3 then return R(2) == 1 end
        if k == 4 then return cjson.null end
        if k == 5 then return nil end
        local t = {}
        if k == 6 then for i = 1, R(0, 20) do t[i] = value(depth + 1) end
        elseif k == 7 then for i = 1, R(0, 12) do t[R(1, 30)] = value(depth + 1) end
        else for i = 1, R(0, 10) do local k, v = key(), value(depth + 1) if v ~= nil then t[k] = v end end end
        return t
      end
      local function D(s) if #s > 300 then return 'sha1:' .. redis.sha1hex(s) .. '/' .. #s end return H(s) end
      local function mutate(s, alphabet)
        for i = 1, R(1, 3) do
          local k, p = R(4), R(1, #s + 1)
          if k == 1 then s = s:sub(1, p - 1) .. s:sub(p + 1)
          elseif k == 2 then local j = R(#alphabet) s = s:sub(1, p - 1) .. alphabet:sub(j, j) .. s:sub(p)
          elseif k == 3 then s = s:sub(1, R(0, #s))
          else s = s:sub(1, p - 1) .. string.char(R(0, 255)) .. s:sub(p + 1) end
        end
        return s
      end
      """;

  @Test
  void randomInputsAgreeWithRedis() throws Exception {
    for (int seed = 1; seed <= 12; seed++) {
      // Values through cjson and cmsgpack, both ways.
      fuzz(GENERATORS + "math.randomseed(" + seed + ") local out = {} for i = 1, 60 do local v = value(0) "
          + "local ok, j = pcall(cjson.encode, v) out[#out + 1] = S(ok, j) "
          + "if ok then out[#out + 1] = S(pcall(cjson.decode, j)) end "
          + "local p = cmsgpack.pack(v) out[#out + 1] = D(p) out[#out + 1] = S(cmsgpack.unpack(p)) end return out");
      // Settings that change encoding, then values again.
      fuzz(GENERATORS + "math.randomseed(" + seed + ") cjson.encode_sparse_array(R(2) == 1, R(0, 3), R(0, 12)) "
          + "cjson.encode_invalid_numbers(({true, false, 'null'})[R(3)]) cjson.encode_number_precision(R(1, 14)) "
          + "cjson.encode_max_depth(R(1, 6)) local out = {} for i = 1, 60 do out[#out + 1] = S(pcall(cjson.encode, value(0))) end "
          + "return out");
      // Broken JSON and msgpack.
      fuzz(GENERATORS + "math.randomseed(" + seed + ") big = false cjson.decode_invalid_numbers(R(2) == 1) cjson.decode_max_depth(R(2, 8)) "
          + "local out = {} for i = 1, 80 do local ok, j = pcall(cjson.encode, value(0)) if not ok then j = '[1,{\"a\":2.5e3}]' end "
          + "local m = mutate(j, '{}[],:\"\\\\ -+.0123456789eEtrufalsnxINF') out[#out + 1] = S(m) .. ' ' .. S(pcall(cjson.decode, m)) end "
          + "return out");
      fuzz(GENERATORS + "math.randomseed(" + seed + ") big = false local out = {} for i = 1, 80 do local p = cmsgpack.pack(value(0), value(0)) "
          + "local m = mutate(p, '\\192\\193\\196\\202\\203\\204\\207\\211\\217\\220\\222\\223\\129\\145\\161') "
          + "out[#out + 1] = D(m) .. ' ' .. S(pcall(cmsgpack.unpack, m)) "
          + "out[#out + 1] = S(pcall(cmsgpack.unpack_limit, m, R(-1, 3), R(-1, #m + 1))) "
          + "out[#out + 1] = S(pcall(cmsgpack.unpack_one, m, R(0, #m))) end return out");
      // struct formats, arguments and data.
      fuzz(GENERATORS + "math.randomseed(" + seed + ") local letters = {'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I', 'f', 'd', "
          + "'x', 's', 'c', '<', '>', '!', ' ', '=', 'y', '0'} local out = {} for i = 1, 80 do local f = {} "
          + "for k = 1, R(1, 6) do f[#f + 1] = letters[R(#letters)] if R(3) == 1 then f[#f + 1] = tostring(R(0, 17)) end end "
          + "local fmt = table.concat(f) local args = {} for k = 1, R(0, 6) do args[k] = R(3) == 1 and str() or number() end "
          + "local ok, packed = pcall(struct.pack, fmt, unpack(args)) out[#out + 1] = S(fmt, ok, ok and D(packed) or packed) "
          + "local data = ok and packed or bytes(R(0, 24)) "
          + "out[#out + 1] = S(pcall(struct.unpack, fmt, data, R(3) == 1 and R(-2, #data + 2) or nil)) "
          + "out[#out + 1] = S(pcall(struct.size, fmt)) end return out");
      // bit on random numbers.
      fuzz(GENERATORS + "math.randomseed(" + seed + ") local out = {} for i = 1, 60 do local a, b, c = number(), number(), R(-40, 40) "
          + "out[#out + 1] = S(bit.tobit(a), bit.bnot(a), bit.band(a, b), bit.bor(a, b, c), bit.bxor(a, b), bit.lshift(a, c), "
          + "bit.rshift(a, c), bit.arshift(a, c), bit.rol(a, c), bit.ror(a, c), bit.bswap(a), bit.tohex(a, c)) end return out");
    }
  }

  /** A fuzz script: it must run to its end (an array of results), not fail the same way on both. */
  private void fuzz(String script) throws Exception {
    String reply = eval(script);
    assertTrue(reply.startsWith("[\""), reply.length() > 300 ? reply.substring(0, 300) : reply);
  }

  // ---- cjson

  @Test
  void cjsonEncodes() throws Exception {
    values("cjson.encode({})", "cjson.encode({1, 2, nil, 4})", "cjson.encode({[1] = 1, [10] = 1})",
        "cjson.encode({[2] = 1})", "cjson.encode({[1.5] = 1})", "cjson.encode({[-1] = 1})", "cjson.encode({[0] = 1})",
        "cjson.encode({[2^31] = 1})", "cjson.encode({[1] = 1, [2^31] = 1})", "cjson.encode({[2^40] = 1})",
        "cjson.encode({[1] = 1, x = 2})", "cjson.encode({[1] = 1, [1.5] = 2})",
        "cjson.encode({[12] = 1, [11] = 1, [10] = 1, [9] = 1, [8] = 1, [7] = 1})", "cjson.encode({['1'] = 5})",
        "cjson.encode(-0)", "cjson.encode(1e300)", "cjson.encode(0.1)", "cjson.encode(2^53)", "cjson.encode(1/3)",
        "cjson.encode({1e-5, 123456789012345678, 1e15, 1e14, 123456.789e-20, 5e-324, 1.7976931348623157e308, -1e-300, 100, 2^63})",
        "cjson.encode(nil)", "cjson.encode(cjson.null)", "cjson.encode(true)", "cjson.encode(false)",
        "cjson.encode('a/b\"c\\\\d')", "cjson.encode({a = {b = {c = {}}}})", "cjson.encode({{}, {{}}, {x = {}}})",
        "cjson.encode({a = 1, b = 'two', c = {3}, d = true, e = cjson.null, f = {g = false}})",
        "cjson.encode({s1 = 'Some string', n1 = 100, a1 = {'Some', 'String', 'Array'}, b1 = true, b2 = false})",
        "cjson.encode(setmetatable({}, {__index = function() return 1 end}))",
        "cjson.encode(setmetatable({1}, {__len = function() return 5 end}))",
        "cjson.encode('')", "cjson.encode(12)", "cjson.encode({[1] = {[1] = {[1] = 'deep'}}})");
    // Every byte, alone and in a run.
    eval("local t = {} for i = 0, 255 do t[#t + 1] = cjson.encode(string.char(i)) end return S(t)");
    eval("local b = {} for i = 0, 255 do b[#b + 1] = string.char(i) end return H(cjson.encode(table.concat(b)))");
    eval("local b = {} for i = 255, 0, -1 do b[#b + 1] = string.char(i) end local s = table.concat(b) "
        + "return S(cjson.decode(cjson.encode(s)) == s, cjson.decode(cjson.encode({[s] = s}))[s] == s)");
    // Key order is Lua's next order: the same tables give the same text.
    eval("local t = {} for i = 1, 200 do t['k' .. i] = i end return cjson.encode(t)");
    eval("local t = {} for i = 1, 50 do t[i * 1.5] = i t['s' .. i] = -i end return cjson.encode(t)");
    eval("local t = {x = 1, y = 2} t.x = nil t.z = 3 for i = 1, 20 do t[i] = i end t[21] = nil return cjson.encode(t)");
    // Errors, raised and caught.
    outcomes("cjson.encode({[1] = 1, [11] = 1})", "cjson.encode({[false] = 1})", "cjson.encode({[{}] = 1})",
        "cjson.encode(function() end)", "cjson.encode({f = function() end})", "cjson.encode(coroutine.create(function() end))",
        "cjson.encode(0/0)", "cjson.encode(1/0)", "cjson.encode({1/0})", "cjson.encode({[1/0] = 1})",
        "cjson.encode({[-1/0] = 1})", "cjson.encode({[1] = 1, [-1/0] = 1})", "cjson.encode({[2^31 - 1] = 1})",
        "cjson.encode()", "cjson.encode(1, 2)", "cjson.encode({{{{}}}, 1, 2})");
    for (String e : List.of("return cjson.encode(function() end)", "return cjson.encode({[true] = 1})",
        "return cjson.encode()", "local e = cjson.encode; return e(1, 2)", "return cjson:encode({})",
        "return cjson.encode({[1] = 1, [100] = 2})", "local x = 1\nreturn cjson.encode(0/0)",
        "local t = {} t[1] = t return cjson.encode(t)")) {
      d.check("EVAL", e, "0");
    }
  }

  @Test
  void cjsonSettings() throws Exception {
    values("cjson.encode_sparse_array()", "cjson.encode_sparse_array(true)", "cjson.encode_sparse_array(false, 0, 0)",
        "cjson.encode_sparse_array('on')", "cjson.encode_sparse_array('off')", "cjson.encode_sparse_array(nil, 1.5)",
        "cjson.encode_sparse_array(nil, 2^31 - 1)", "cjson.encode_sparse_array(nil, '3')",
        "cjson.encode_sparse_array(false, nil, nil)", "cjson.encode_max_depth()", "cjson.encode_max_depth(5.9)",
        "cjson.decode_max_depth()", "cjson.decode_max_depth('7')", "cjson.encode_number_precision()",
        "cjson.encode_number_precision(3)", "cjson.encode_keep_buffer()", "cjson.encode_keep_buffer(true)",
        "cjson.encode_keep_buffer(false)", "cjson.encode_keep_buffer('on')", "cjson.encode_invalid_numbers()",
        "cjson.encode_invalid_numbers(true)", "cjson.encode_invalid_numbers('null')", "cjson.encode_invalid_numbers('on')",
        "cjson.encode_invalid_numbers('off')", "cjson.decode_invalid_numbers()", "cjson.decode_invalid_numbers(false)",
        "cjson.decode_invalid_numbers('on')", "cjson.encode_invalid_numbers('null\\0x')", "cjson._NAME, cjson._VERSION",
        "cjson.null, type(cjson.null), cjson.null == cjson.decode('null')",
        "cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION",
        "type(cjson.encode), type(cmsgpack.unpack_one), type(bit.tohex), type(struct.size), type(cjson.new)");
    outcomes("cjson.encode_sparse_array('x')", "cjson.encode_sparse_array(1)", "cjson.encode_sparse_array(nil, -1)",
        "cjson.encode_sparse_array(nil, nil, -1)", "cjson.encode_sparse_array(nil, 2^31)",
        "cjson.encode_sparse_array(nil, 'abc')", "cjson.encode_sparse_array(nil, {})",
        "cjson.encode_sparse_array(nil, nil, 'abc')", "cjson.encode_sparse_array(true, 3, 7, 9)",
        "cjson.encode_sparse_array({})", "cjson.encode_max_depth(0)", "cjson.encode_max_depth(1, 2)",
        "cjson.encode_max_depth('a')", "cjson.decode_max_depth(0)", "cjson.decode_max_depth(-5)",
        "cjson.encode_number_precision(0)", "cjson.encode_number_precision(15)", "cjson.encode_keep_buffer(1)",
        "cjson.encode_keep_buffer({})", "cjson.encode_invalid_numbers('x')", "cjson.decode_invalid_numbers('null')");
    d.check("EVAL", "return cjson.encode_max_depth(0)", "0");
    d.check("EVAL", "return cjson.encode_sparse_array(nil, nil, -1)", "0");
    // What the settings change, each from the defaults.
    for (String e : List.of("(function() cjson.encode_number_precision(3) return cjson.encode({1/3, 12345, [1/3] = 1}) end)()",
        "(function() cjson.encode_number_precision(1) return cjson.encode({1/3, 0.5, 15, 2^70}) end)()",
        "(function() cjson.encode_sparse_array(true) return cjson.encode({[1] = 1, [20] = 2}) end)()",
        "(function() cjson.encode_sparse_array(false, 0, 0) return cjson.encode({[1] = 1, [20] = 2}) end)()",
        "(function() cjson.encode_sparse_array(false, 1, 3) return pcall(cjson.encode, {[1] = 1, [4] = 2}) end)()",
        "(function() cjson.encode_sparse_array(false, 1, 3) return pcall(cjson.encode, {[1] = 1, [3] = 2}) end)()",
        "(function() cjson.encode_sparse_array(false, 1, 1) return pcall(cjson.encode, {[1] = 1, [2] = 2}) end)()",
        "(function() cjson.encode_sparse_array(false, 3, 1) return pcall(cjson.encode, {[2] = 1, [6] = 2}) end)()",
        "(function() cjson.encode_sparse_array(false, 3, 1) return pcall(cjson.encode, {[2] = 1, [7] = 2}) end)()",
        "(function() cjson.encode_sparse_array(false, 2147483647, 1) return pcall(cjson.encode, {[1] = 1, [2] = 2, [3] = 3}) end)()",
        "(function() cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0, -(0/0)}) end)()",
        "(function() cjson.encode_invalid_numbers(true) return cjson.encode({[1/0] = 1, [-1/0] = 2}) end)()",
        "(function() cjson.encode_invalid_numbers('null') return cjson.encode({1/0, -1/0, 0/0, [1/0] = 1}) end)()",
        "(function() cjson.encode_max_depth(2) return pcall(cjson.encode, {a = {b = {}}}) end)()",
        "(function() cjson.encode_max_depth(2) return pcall(cjson.encode, {a = {b = 1}}) end)()",
        "(function() cjson.encode_max_depth(1) return cjson.encode({}) end)()",
        "(function() cjson.decode_max_depth(1) return pcall(cjson.decode, '[[1]]') end)()",
        "(function() cjson.decode_max_depth(1) return pcall(cjson.decode, '{\"a\":{}}') end)()",
        "(function() cjson.decode_max_depth(2) return pcall(cjson.decode, '  [ {\"a\":[1]}]') end)()",
        "(function() cjson.decode_max_depth(1) return pcall(cjson.decode, '[[') end)()")) {
      d.check("SCRIPT", "FLUSH");
      values(e);
    }
    // Settings stay in the VM from one script to the next, until SCRIPT FLUSH.
    eval("return S(cjson.encode_max_depth(3), cjson.encode_number_precision(5), cjson.encode_sparse_array(true, 4, 5))");
    eval("return S(cjson.encode_max_depth(), cjson.encode_number_precision(), cjson.encode_sparse_array(), cjson.encode(1/3))");
    d.check("SCRIPT", "FLUSH");
    eval("return S(cjson.encode_max_depth(), cjson.encode_number_precision(), cjson.encode_sparse_array(), cjson.encode(1/3))");
    // cjson.new(): its own settings, a table scripts may change.
    eval("local j = cjson.new() j.encode_max_depth(2) j.encode_number_precision(4) "
        + "return S(cjson.encode_max_depth(), j.encode_max_depth(), j.encode(1/3), cjson.encode(1/3), "
        + "pcall(j.encode, {{{}}}), j.null == cjson.null, j._NAME, j == cjson, getmetatable(j), "
        + "(function() j.extra = 1 return j.extra end)(), type(j.new().new))");
  }

  @Test
  void cjsonDecodes() throws Exception {
    String[] texts = {
        "[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]", "0x10", "-0x10", "0X1p4", "01", "-", "+1", ".5", "1.", "1.e3", "1e",
        "1e+", "inf", "-inf", "Infinity", "nan", "NaN", "-nan", "nan(123)", "nan(0x1f)", "nan(a_b)", "nan()", "nan(",
        "nanx", "infinit", "infx", "1e400", "-1e400", "1e-400", "12abc", "[1,]", "[1 2]", "{\"a\" 1}", "{1:2}",
        "{\"a\":1,}", "", "   ", "tru", "true", "truex", "nul", "null", "false ", "\"abc", "\"a\\qb\"",
        "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"tab\there\"", "[", "]", "{", "}", ":", ",", "\"a\" \"b\"", "[1]x", "{\"a\":1}}", "a", "@",
        "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "{\"a\":1,\"a\":2}", "[[[[1]]]]", "-0", "-0.0", "0e0", "1E2",
        "100000000000000000000000", "0.1e", "--1", "0x", "0xg", "1x", "0.5.5", "+", "+inf", "+nan", "++1", "-+1",
        "+-1", "+0x10", "-Infinity", "INF", "iNfInItY", "n", "1e5x", "[1,2", "{\"a\":1", "{\"a\":1 \"b\":2}", "{\"a\"",
        "{\"a\":", "[\"a\",}", "[nul]", "true,", "  [  1  ,  2  ]  ", "\f1", "\u000b1", "1\f", "0x1.8p1", "0x.8", "1e-2",
        "123456789012345678901234567890", "0.000001", "4.9e-324", "2.5e-324", "1.7976931348623159e308",
        "18446744073709551616", "-9223372036854775809", "00", "-01.5", "\"\\u0000\"", "\"\\u0041\\u00\"",
        "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "\"\\uD834\\uDD1E\"", "\"\\uDBFF\\uDFFF\"", "\"\\ud800\\u0041\"",
        "\"\\uFFFF\"", "\"\\u0080\"", "\"\\u07ff\"", "\"\\u0800\"", "\"abc\\", "\"abc\\u", "\"\\u00e", "1e99999999999",
        "1e-99999999999", "0x1p99999", "0x1.fffffffffffff8p1023", "0.1e+0000000000000000000001", "\"\u00e9\"",
        "{\"\u00e9\":\"\u4e2d\"}", "[1,[2,[3,[4]]],{\"x\":{\"y\":[]}}]", "\n\r\t [ ] \n", "{\"\":\"\"}",
        "[true,false,null,1,\"s\",{},[]]", "7.0e-1", "-.5", "- 1", "1 2", "9007199254740993", "0.30000000000000004",
    };
    for (String text : texts) {
      eval("return S(pcall(cjson.decode, ARGV[1]))", text);
    }
    // With decode_invalid_numbers off.
    for (String text : List.of("+1", "0x10", "01", "-01", "0", "-0", "0.5", "inf", "-inf", "nan", "Infinity", "1e5",
        "-", ".5", "00", "0e1", "-x", "-0x1", "0.", "[01]", "-nan")) {
      eval("cjson.decode_invalid_numbers(false) return S(pcall(cjson.decode, ARGV[1]))", text);
    }
    // NUL bytes, the UTF-16 check, non-string arguments.
    eval("local t = {} for _, j in ipairs({'1\\0garbage', '\\0', 'a\\0', '\\0a', '[1]\\0x', '\"a\\0b\"', '  \\0', '1 \\0', "
        + "'\\0\\0', '\"\\0', '{\"a\\0\":1}', '[1,\\0', '\"\\\\\\0\"'}) do t[#t + 1] = S(j) .. '=' .. S(pcall(cjson.decode, j)) end "
        + "return table.concat(t, ' ; ')");
    outcomes("cjson.decode(123)", "cjson.decode(1.5)", "cjson.decode(1/0)", "cjson.decode(0/0)", "cjson.decode(-0)",
        "cjson.decode(true)", "cjson.decode({})", "cjson.decode()", "cjson.decode('1', 2)", "cjson.decode(nil)");
    for (String e : List.of("return cjson.decode(true)", "return cjson.decode('1', 2)", "return cjson.decode('[1,]')",
        "return cjson.decode('{\"a\":1 \"b\"}')", "local x = cjson.decode\nreturn x('@')")) {
      d.check("EVAL", e, "0");
    }
    // Deep structures: lua-cjson's depth limit, and its stack check once the limit is raised.
    eval("return S(pcall(cjson.decode, string.rep('[', 1001) .. string.rep(']', 1001)))");
    eval("return S(#cjson.encode(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))))");
    for (int n : new int[] {7998, 7999}) {
      eval("cjson.decode_max_depth(100000) local ok, e = pcall(cjson.decode, string.rep('[', " + n + ") .. string.rep(']', " + n + ")) "
          + "return S(ok, ok or e)");
    }
    for (int n : new int[] {3999, 4000}) {
      eval("cjson.decode_max_depth(100000) local ok, e = pcall(cjson.decode, string.rep('{\"a\":', " + n + ") .. '1' .. string.rep('}', " + n + ")) "
          + "return S(ok, ok or e)");
    }
    for (int n : new int[] {7996, 7997}) {
      eval("cjson.decode_max_depth(100000) local ok, e = pcall(cjson.decode, string.rep('[', " + n + ") .. '{}' .. string.rep(']', " + n + ")) "
          + "return S(ok, ok or e)");
    }
    for (int n : new int[] {7997, 7998}) {
      eval("cjson.encode_max_depth(100000) local t = {} for i = 1, " + n + " - 1 do t = {t} end local ok, e = pcall(cjson.encode, t) "
          + "return S(ok, ok and #e or e)");
    }
    for (int n : new int[] {3999, 4000}) {
      eval("cjson.encode_max_depth(100000) local t = {} for i = 1, " + n + " - 1 do t = {a = t} end local ok, e = pcall(cjson.encode, t) "
          + "return S(ok, ok and #e or e)");
    }
    eval("local t = {} t.x = t return S(pcall(cjson.encode, t))");
    // Round trips, and the order of keys a decoded object iterates in.
    eval("local t = {} for i = 1, 300 do t[#t + 1] = '\"k' .. i .. '\":' .. i end "
        + "return cjson.encode(cjson.decode('{' .. table.concat(t, ',') .. '}'))");
    eval("return cjson.encode(cjson.decode(ARGV[1]))",
        "{\"b\":[1,2,{\"c\":null}],\"a\":\"x\",\"z\":{\"y\":[true,false]},\"m\":-0.5,\"n\":1e300,\"e\":\"\\u00e9\"}");
    eval("local v = {1.5, -2, 'x', {y = {1, 2, 3}}, true} return S(cjson.decode(cjson.encode(v)))");
  }

  // ---- cmsgpack

  @Test
  void cmsgpackPacks() throws Exception {
    values("H(cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 2^32 - 1, 2^32, 2^53, 2^63, 2^64, -2^63, -1, -32, -33, "
            + "-128, -129, -32768, -32769, -2^31, -2^31 - 1, -2^63 - 2^11, 2^63 - 2^10))",
        "H(cmsgpack.pack(0.5, 1.5, 0.1, -0, 1/0, -1/0, 0/0, -(0/0), 1e300, 1e-300, 3.4028234663852886e38, "
            + "3.4028235677973366e38, 1.401298464324817e-45, 2^-149, 2^-150, 2^100, -2.5, 1/3, 2^24 + 1, 16777216.5))",
        "H(cmsgpack.pack(nil, true, false, {}, {1, 2}, {a = 1}, {1, nil, 3}, {[2] = 1}, {[1] = 1, [3] = 3}, {[1.5] = 1}, "
            + "{[0] = 1}, {[-1] = 1}, {['1'] = 5}, {[2^53] = 1}, {[1] = 1, [2] = 2, [2.5] = 3}))",
        "H(cmsgpack.pack(function() end, coroutine.create(function() end), cjson.null, {f = function() end}))",
        "H(cmsgpack.pack(string.rep('a', 31), ''))", "H(cmsgpack.pack(string.rep('a', 32))):sub(1, 8)",
        "H(cmsgpack.pack(string.rep('a', 255))):sub(1, 8)", "H(cmsgpack.pack(string.rep('a', 256))):sub(1, 8)",
        "H(cmsgpack.pack(string.rep('a', 65535))):sub(1, 8)", "H(cmsgpack.pack(string.rep('a', 65536))):sub(1, 12)",
        "#cmsgpack.pack(string.rep('a', 65536))", "H(cmsgpack.pack({[{}] = 1}))", "H(cmsgpack.pack({[{1}] = {2}}))",
        "H(cmsgpack.pack({[true] = false}))", "H(cmsgpack.pack({1, 2, x = nil}))", "H(cmsgpack.pack(12, '12'))");
    // Table sizes at the header boundaries, and big maps in next order.
    for (int n : new int[] {15, 16, 65535, 65536}) {
      eval("local t = {} for i = 1, " + n + " do t[i] = 1 end return H(cmsgpack.pack(t)):sub(1, 12)");
      eval("local t = {} for i = 1, " + n + " do t['k' .. i] = 1 end local p = cmsgpack.pack(t) "
          + "return S(H(p:sub(1, 6)), #p, redis.sha1hex(p))");
    }
    // Nesting: 16 tables deep, then nil; cycles end there.
    for (int n : new int[] {15, 16, 17, 20}) {
      eval("local t = 1 for i = 1, " + n + " do t = {t} end return H(cmsgpack.pack(t))");
      eval("local t = 1 for i = 1, " + n + " do t = {x = t} end return H(cmsgpack.pack(t))");
      eval("local t = 1 for i = 1, " + n + " do t = {[t] = 1} end return H(cmsgpack.pack(t))");
    }
    eval("local t = 1 for i = 1, 17 do t = {t} end return H(cmsgpack.pack(1, t, t))");
    eval("local a = {} a[1] = a return H(cmsgpack.pack(a))");
    // Every byte through a string.
    eval("local b = {} for i = 0, 255 do b[#b + 1] = string.char(i) end local s = table.concat(b) "
        + "return S(H(cmsgpack.pack(s)), cmsgpack.unpack(cmsgpack.pack(s)) == s)");
    outcomes("cmsgpack.pack()");
    d.check("EVAL", "return cmsgpack.pack()", "0");
    for (int n : new int[] {4000, 4001}) {
      eval("local t = {} for i = 1, " + n + " do t[i] = 1 end local ok, e = pcall(function() return #cmsgpack.pack(unpack(t)) end) "
          + "return S(ok, e)");
    }
  }

  @Test
  void cmsgpackUnpacks() throws Exception {
    values("cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, 2}, {x = 1}))", "cmsgpack.unpack('')", "cmsgpack.unpack('\\145\\192')", "cmsgpack.unpack('\\147\\1\\192\\3')",
        "cmsgpack.unpack('\\130\\1\\192\\2\\3')",
        "cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255\\211\\128\\0\\0\\0\\0\\0\\0\\1\\211\\255\\255\\255\\255\\255\\255\\255\\255')",
        "cmsgpack.unpack('\\202\\127\\192\\0\\1\\203\\255\\248\\0\\0\\0\\0\\0\\0\\202\\255\\128\\0\\0\\203\\0\\0\\0\\0\\0\\0\\0\\1')",
        "cmsgpack.unpack('\\206\\255\\255\\255\\255\\207\\128\\0\\0\\0\\0\\0\\0\\0\\207\\0\\32\\0\\0\\0\\0\\0\\1\\208\\128\\209\\128\\0"
            + "\\210\\128\\0\\0\\0\\205\\255\\255\\204\\255')",
        "cmsgpack.unpack('\\220\\0\\2\\1\\2\\222\\0\\1\\1\\2\\221\\0\\0\\0\\1\\5\\223\\0\\0\\0\\1\\1\\1')",
        "cmsgpack.unpack('\\217\\3abc\\218\\0\\1z\\219\\0\\0\\0\\2yz\\160\\224\\255\\127\\128\\144')",
        "cmsgpack.unpack(cmsgpack.pack({1, nil, 3}, {[1] = 1, [2] = 2, [2.5] = 3}, {a = {b = {c = {}}}}))",
        "cmsgpack.unpack(cmsgpack.pack(0.1, 1/0, -0, 2^63, -2^63, 1e300, 3.4028234663852886e38, 2^-149))",
        "cmsgpack.unpack(cmsgpack.pack({[1] = 1}) .. '\\192')", "cmsgpack.unpack(12)");
    outcomes("cmsgpack.unpack()", "cmsgpack.unpack(nil)", "cmsgpack.unpack({})", "cmsgpack.unpack('\\204')",
        "cmsgpack.unpack('\\193')", "cmsgpack.unpack('\\196\\1a')", "cmsgpack.unpack('\\197\\0\\1a')",
        "cmsgpack.unpack('\\198\\0\\0\\0\\1a')", "cmsgpack.unpack('\\199\\1\\1\\1')", "cmsgpack.unpack('\\200\\0\\1\\1\\1')",
        "cmsgpack.unpack('\\201\\0\\0\\0\\1\\1\\1')", "cmsgpack.unpack('\\212\\1\\1')", "cmsgpack.unpack('\\213\\1\\1\\1')",
        "cmsgpack.unpack('\\214\\1\\1\\1\\1\\1')", "cmsgpack.unpack('\\215\\1' .. string.rep('\\1', 8))",
        "cmsgpack.unpack('\\216\\1' .. string.rep('\\1', 16))", "cmsgpack.unpack('\\146\\1')", "cmsgpack.unpack('\\129\\1')",
        "cmsgpack.unpack('\\130\\1\\2')", "cmsgpack.unpack('\\130\\192\\1\\2\\3')", "cmsgpack.unpack('\\129\\192\\192')",
        "cmsgpack.unpack('\\129\\203\\255\\248\\0\\0\\0\\0\\0\\0\\1')", "cmsgpack.unpack('\\217\\5ab')",
        "cmsgpack.unpack('\\1\\2\\204')", "cmsgpack.unpack('\\203\\0\\0')", "cmsgpack.unpack('\\220\\0')",
        "cmsgpack.unpack('\\221\\255\\255\\255\\255')", "cmsgpack.unpack('\\223\\255\\255\\255\\255\\1')",
        "cmsgpack.unpack('\\219\\255\\255\\255\\255')");
    d.check("EVAL", "return cmsgpack.unpack('\\204')", "0");
    d.check("EVAL", "return cmsgpack.unpack('\\130\\192\\1\\2\\3')", "0");
    // unpack_one and unpack_limit: the next offset (-1 at the end) before the objects.
    outcomes("cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))", "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)",
        "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)", "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)",
        "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)", "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 100)",
        "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)", "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1.5)",
        "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 'x')", "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), '1')",
        "cmsgpack.unpack_one('')", "cmsgpack.unpack_one('', 0)", "cmsgpack.unpack_one()", "cmsgpack.unpack_one(nil)",
        "cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 0, 7)", "cmsgpack.unpack_one('xyz', 0/0)",
        "cmsgpack.unpack_one(cmsgpack.pack({1, {2}}, 'z'))", "cmsgpack.unpack_one('\\146\\1', 0)",
        "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)", "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)",
        "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)", "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5)",
        "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 1, 2)", "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)",
        "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 3, 0)", "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1)",
        "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 3)", "cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))",
        "cmsgpack.unpack_limit('', 1)", "cmsgpack.unpack_limit('x', 'y')", "cmsgpack.unpack_limit('x', -1, -1)",
        "cmsgpack.unpack_limit('x', 2^31)", "cmsgpack.unpack_limit('x', 2^32 + 1)",
        "cmsgpack.unpack_limit('xyz', 1, 2^32 + 1)", "cmsgpack.unpack_limit('xyz', 1, 1e100)",
        "cmsgpack.unpack_limit()", "cmsgpack.unpack(cmsgpack.pack(1, 2, 3), 2)");
    // Lua's stack: the C library's checks, at the same sizes.
    for (int n : new int[] {7999, 8000}) {
      eval("return S(pcall(function() return select('#', cmsgpack.unpack(string.rep('\\1', " + n + "))) end))");
    }
    for (int n : new int[] {7997, 7998}) {
      eval("return S(pcall(function() return select('#', cmsgpack.unpack(string.rep('\\1', " + n + "), 1, 2)) end))");
    }
    for (int n : new int[] {7998, 7999, 8000}) {
      eval("return S(pcall(function() return select('#', cmsgpack.unpack_limit(string.rep('\\1', " + n + " + 5), " + n + ")) end))");
    }
    for (int n : new int[] {3999, 4000}) {
      eval("return S(pcall(function() local t = cmsgpack.unpack(string.rep('\\145', " + n + ") .. '\\1') local d = 0 "
          + "while type(t) == 'table' do t = t[1] d = d + 1 end return d end))");
      eval("return S(pcall(function() local t = cmsgpack.unpack(string.rep('\\129\\1', " + n + ") .. '\\1') local d = 0 "
          + "while type(t) == 'table' do t = t[1] d = d + 1 end return d end))");
    }
    for (int n : new int[] {3998, 3999}) {
      eval("return S(pcall(function() local a, t = cmsgpack.unpack('\\1' .. string.rep('\\145', " + n + ") .. '\\1') local d = 0 "
          + "while type(t) == 'table' do t = t[1] d = d + 1 end return d end))");
      eval("return S(pcall(function() local t = cmsgpack.unpack(string.rep('\\145', " + n + ") .. '\\1', 1, 2) local d = 0 "
          + "while type(t) == 'table' do t = t[1] d = d + 1 end return d end))");
    }
    // Maps come back in the order the C library builds them.
    eval("local t = {} for i = 1, 300 do t['k' .. i] = i end return cjson.encode(cmsgpack.unpack(cmsgpack.pack(t)))");
    eval("local t = {} for i = 1, 40 do t[i * 0.5] = i end return cjson.encode(cmsgpack.unpack(cmsgpack.pack(t)))");
    eval("return cjson.encode(cmsgpack.unpack('\\132\\161a\\192\\161b\\1\\161c\\2\\161d\\192'))");
    // Arrays with holes: # and the raw next order show how the table was sized.
    for (String packed : List.of("\\147\\1\\192\\3", "\\148\\1\\192\\192\\4", "\\146\\192\\2",
        "\\152\\1\\192\\3\\192\\5\\192\\192\\8", "\\149\\192\\192\\192\\192\\5", "\\145\\192")) {
      eval("local t = cmsgpack.unpack('" + packed + "') local ks = {} for k in pairs(t) do ks[#ks + 1] = k end "
          + "return S(#t, table.concat(ks, ','))");
    }
  }

  // ---- bit

  @Test
  void bitOperates() throws Exception {
    values("bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(2^53), bit.tobit(2^53 + 2), bit.tobit(1e300), "
            + "bit.tobit(0/0), bit.tobit(1/0), bit.tobit(0xffffffff), bit.tobit(2^32 + 5), bit.tobit(-2^31), bit.tobit(2^31)",
        "bit.band(0xff, 0x0f), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.bnot(0), bit.rol(1, 33), "
            + "bit.bswap(0x12345678), bit.bswap(-1), bit.ror(1, 1), bit.rol(-2, 63), bit.arshift(-256, 36)",
        "bit.tohex(255), bit.tohex(-1, 4), bit.tohex(255, -4), bit.tohex(255, 12), bit.tohex(255, 0), bit.tohex(-1, -20), "
            + "bit.tohex('0'), bit.tohex(0x12345678, 3), bit.tohex(1, 2^32 + 2), bit.tohex(-1, -8.5)",
        "bit.band('3', 1), bit.band('0'), bit.band('0x10'), bit.band(' 12 '), bit.bor(1, 2, 4, 8, 16, 32, 64, 128), "
            + "bit.bxor(1, 2), bit.band(1), bit.lshift(1, 33), bit.rshift(-1, -1)");
    eval("local r = {} local v = {0, 1, -1, 2^31 - 1, -2^31, 0x55aa55aa, 123456789, -987654321, 2^32 + 7, 0.5, 3.5, -2.5} "
        + "for _, a in ipairs(v) do for _, b in ipairs({0, 1, 7, 31, 32, 33, -1, 0x0f0f0f0f}) do "
        + "r[#r + 1] = table.concat({bit.band(a, b), bit.bor(a, b), bit.bxor(a, b), bit.lshift(a, b), bit.rshift(a, b), "
        + "bit.arshift(a, b), bit.rol(a, b), bit.ror(a, b), bit.tohex(a, b), bit.bnot(a), bit.bswap(a), bit.tobit(a)}, ',') end end "
        + "return table.concat(r, ' ')");
    outcomes("bit.band(nil)", "bit.band()", "bit.bor()", "bit.bxor()", "bit.band('x')", "bit.tohex()", "bit.tohex(1, 'x')", "bit.tohex(1, nil)",
        "bit.band(1, {})", "bit.bor(1, 2, 'a')", "bit.tobit()", "bit.lshift(1)", "bit.bnot(true)", "bit.bswap(cjson.null)",
        "bit.band(1, function() end)");
    for (String e : List.of("return bit.band(nil)", "local f = bit.band; return f(nil)", "return bit:band(nil)",
        "return bit.tohex(1, 'x')", "return bit.bor(1, 2, 'a')", "local t = {bit.lshift()}")) {
      d.check("EVAL", e, "0");
    }
  }

  // ---- struct

  @Test
  void structPacksAndUnpacks() throws Exception {
    values("H(struct.pack('>I2', 258))", "struct.unpack('>I2', '\\1\\2')",
        "struct.size('i4'), struct.size('bBhHiIlLfdT'), struct.size('!bi'), struct.size('!4bd'), struct.size('<i3'), "
            + "struct.size('x'), struct.size('c5'), struct.size(''), struct.size(5), struct.size('>!<'), struct.size('i4i'), "
            + "struct.size('5'), struct.size('12'), struct.size('b5'), struct.size('5b'), struct.size('y'), struct.size('i32'), "
            + "struct.size('c33'), struct.size('c2147483647'), struct.size('c2147483647c2147483647'), struct.size('i 4'), "
            + "struct.size('!')",
        "struct.size('x!8d'), struct.size('!8xd'), struct.size('!8xc8'), struct.size('!8xf'), struct.size('!8xi3'), "
            + "struct.size('!8xi6'), struct.size('!8xi16'), struct.size('!8xT'), struct.size('!8xh!2bi'), struct.size('!bdT'), "
            + "struct.size('!1bi'), struct.size('!2bi'), struct.size('!16bi'), struct.size('b\\0i')",
        "H(struct.pack('bBhHiIlL', -1, 255, -2, 65535, -3, 2^32 - 1, -4, 2^64 - 1))",
        "H(struct.pack('<bBhHiIlL', -1, 255, -2, 65535, -3, 2^32 - 1, -4, 2^63))",
        "H(struct.pack('>bBhHiIlL', 1, 2, 3, 4, 5, 6, 7, 8))", "H(struct.pack('fd', 0.1, 0.1))",
        "H(struct.pack('>fd', 1/0, 0/0))", "H(struct.pack('<f', 1e40))", "H(struct.pack('<f', 1e-46))",
        "H(struct.pack('>ff', 0/0, -(0/0)))", "H(struct.pack('<ff', 2^-149, 2^-150 * 3))",
        "H(struct.pack('b', 300)), H(struct.pack('b', 1.7)), H(struct.pack('b', -1.7)), H(struct.pack('B', -1)), "
            + "H(struct.pack('i', 2^31)), H(struct.pack('I', -1)), H(struct.pack('l', 2^63)), H(struct.pack('l', -2^63)), "
            + "H(struct.pack('L', 2^64)), H(struct.pack('L', -1)), H(struct.pack('L', 1e30)), H(struct.pack('i', 0/0)), "
            + "H(struct.pack('I8', 2^63)), H(struct.pack('l', -1e30)), H(struct.pack('b', -1e30)), "
            + "H(struct.pack('l', -2^63 - 4096)), H(struct.pack('T', 2^63 + 2^12)), H(struct.pack('L', 1/0)), "
            + "H(struct.pack('T', 0/0)), H(struct.pack('L', -(0/0))), H(struct.pack('T', 2^64)), H(struct.pack('I8', 0/0)), "
            + "H(struct.pack('l', -1/0))",
        "H(struct.pack('i3', -1)), H(struct.pack('>i3', 70000)), H(struct.pack('i1i2i5i6i7i8', 1, 2, 3, 4, 5, 6)), "
            + "H(struct.pack('i9', -1)), H(struct.pack('>i9', -1)), H(struct.pack('I9', -1)), H(struct.pack('>i10', 258)), "
            + "H(struct.pack('i0', 1)), H(struct.pack('i16', 1)), H(struct.pack('>I32', 2^40))",
        "H(struct.pack('s', 'a\\0b')), H(struct.pack('c2', 'abc')), H(struct.pack('c0', 'abc')), H(struct.pack('c', 'abc')), "
            + "H(struct.pack('c', 5)), H(struct.pack('c0', 5)), H(struct.pack('xbx!4i', 1, 2)), H(struct.pack('!4bxi', 1, 2)), "
            + "H(struct.pack('s', 12)), H(struct.pack('i', '12')), H(struct.pack('i', 1, 2)), H(struct.pack('b\\0b', 1, 2)), "
            + "H(struct.pack('<h>h!2bh', 1, 2, 3, 4)), H(struct.pack('sc0s', 'x', 'yz', ''))");
    values("struct.unpack('<bBhHiIlL', struct.pack('<bBhHiIlL', -1, 255, -2, 65535, -3, 2^32 - 1, -4, -1))",
        "struct.unpack('<i3I3i5I7', string.rep('\\255', 18))", "struct.unpack('>l', '\\128\\0\\0\\0\\0\\0\\0\\1')",
        "struct.unpack('>L', '\\128\\0\\0\\0\\0\\0\\0\\1')", "struct.unpack('i9', string.rep('\\255', 9))",
        "struct.unpack('i16', string.rep('\\255', 16))", "struct.unpack('i17', string.rep('\\255', 17))",
        "struct.unpack('I9', string.rep('\\1', 9))", "struct.unpack('<i9', '\\128' .. string.rep('\\0', 8))",
        "struct.unpack('<i9', '\\0\\0\\0\\0\\0\\0\\0\\0\\128')", "struct.unpack('>i12', '\\0\\0\\0\\128' .. string.rep('\\0', 8))",
        "struct.unpack('<i16', string.rep('\\0', 15) .. '\\1')", "struct.unpack('i0', 'abc')",
        "struct.unpack('b', 'abcd', 4)", "struct.unpack('b', 'abcd', 1.9)", "struct.unpack('bxb', 'abc')",
        "struct.unpack('ss', 'abc\\0de\\0x')", "struct.unpack('bc0', '\\3abcde')", "struct.unpack('c', 'abc')",
        "struct.unpack('bc0', '\\0abc')", "struct.unpack('fd', struct.pack('fd', 0.1, 0.1))",
        "struct.unpack(' < b > h ', 'abcdefg')", "struct.unpack('!4bi', 'abcdefgh')", "struct.unpack('b', 5)",
        "struct.unpack('Bc0', '\\2abc')", "struct.unpack('dc0', struct.pack('d', 1.9) .. 'abc')",
        "struct.unpack('sc0', '2\\0abc')", "struct.unpack('c1c0', '2abc')", "struct.unpack('fc0', struct.pack('f', 2.5) .. 'abc')",
        "struct.unpack('b>hc0', '\\5\\0\\2abcd')", "struct.unpack('c2c0', '2\\0abc')", "struct.unpack('', 'abc', 100)",
        "struct.unpack('', 'abc', -5)", "struct.unpack('>ff', struct.pack('>ff', 0/0, 1e40))",
        "struct.unpack('<d', '\\1\\0\\0\\0\\0\\0\\248\\255')", "struct.unpack('i', 'abcd', nil)");
    outcomes("struct.pack('i9', 1)", "struct.size('i33')", "struct.pack('i33', 1)", "struct.unpack('i33', 'a')",
        "struct.size('i99999999999999999999')", "struct.size('c99999999999999999999')", "struct.size('i2147483648')",
        "struct.size('c2147483648')", "struct.pack('!3i', 1)", "struct.pack('!16i', 1)", "struct.size('!0')",
        "struct.size('!0i')", "struct.pack('y', 1)", "struct.pack('i')", "struct.pack('i', 'x')", "struct.pack('s', {})",
        "struct.pack()", "struct.pack(12)", "struct.pack('5')", "struct.pack('5b', 1)", "struct.unpack('5b', 'a')",
        "struct.size('=')", "struct.size('?')", "struct.unpack(' < b > h = i ', 'abcdefg')", "struct.pack('c5', 'abc')",
        "struct.pack('c')", "struct.pack('s')", "struct.pack('c3', nil)", "struct.pack('b', nil)", "struct.pack('b', true)",
        "struct.pack('bb', 1)", "struct.pack('bbb', 1)", "struct.pack('\\255')", "struct.unpack('i', 'abc')",
        "struct.unpack('i', 'abcd', 2)", "struct.unpack('i', 'abcd', 0)", "struct.unpack('i', 'abcd', -1)",
        "struct.unpack('b', 'abcd', 5)", "struct.unpack('b', 'abcd', 'x')", "struct.unpack('bb', 'abcd', 4)",
        "struct.unpack('s', 'abc')", "struct.unpack('c2c0', 'abcde')", "struct.unpack('c0', 'abc')",
        "struct.unpack('c4', 'abc')", "struct.unpack('hc0', '\\255\\255abc')", "struct.unpack('f', 'ab')",
        "struct.unpack('bx', 'a')", "struct.unpack('bxx', 'a')", "struct.unpack('!4bi', 'a')", "struct.unpack('b!4')",
        "struct.unpack('i')", "struct.unpack()", "struct.unpack('b', {})", "struct.unpack('xc0', 'abc')",
        "struct.unpack('bc0', '\\255abc')", "struct.unpack('c1c0', 'xabc')", "struct.unpack('c0', '12')",
        "struct.unpack('c0', '2', 1)", "struct.unpack('c0', 'abcdef', 2)", "struct.unpack('c1c0', ' 2 abc')",
        "struct.unpack('c2c0', '0x1abc')", "struct.unpack('bc0c0', '\\1\\2abc')", "struct.unpack('bsc0', '\\5ab\\0cd')",
        "struct.unpack('i8c0', struct.pack('i8', 2^32 + 2) .. 'abc')", "struct.unpack('i8', 'abcdefgh', -7)",
        "struct.unpack('b', 'abcdefgh', -7)", "struct.unpack('!8bd', 'abcdefghijklmnop', -7)", "struct.unpack('s', 'abc', 4)",
        "struct.unpack('s', 'abc', 5)", "struct.unpack('bs', 'a')", "struct.size('s')", "struct.size('c0')",
        "struct.size('bc0')", "struct.size()", "struct.size({})", "struct.unpack('c2c0', 'nan')",
        "struct.unpack('c3c0', '0x2ab')", "struct.unpack('c2c0', '2 abc')", "struct.unpack('c3c0', 'nanabc')",
        "struct.unpack('dc0', struct.pack('d', 0/0) .. 'abc')", "struct.unpack('dc0', struct.pack('d', 2^64) .. 'abc')");
    eval("local t = {} for _, o in ipairs({-3, -1, 0, 1, 4, 5, 6, 100, 2^32, 2^63, -2^63, 0/0, 1e100, 0.5, -0.5}) do "
        + "t[#t + 1] = S(pcall(struct.unpack, 'i0', 'abcd', o)) .. '/' .. S(pcall(struct.unpack, 'b', 'abcd', o)) end "
        + "return table.concat(t, ' ; ')");
    for (String e : List.of("return struct.pack('y', 1)", "return struct.unpack('i', 'abc')", "return struct.size('i33')",
        "return struct.unpack('s', 'abc')", "local p = struct.pack\nreturn p('c5', 'abc')")) {
      d.check("EVAL", e, "0");
    }
    // Lua's stack: "too many results", as the C library counts.
    for (int n : new int[] {7997, 7998}) {
      eval("return S(pcall(function() return select('#', struct.unpack(string.rep('b', " + n + "), string.rep('\\1', " + n + "))) end))");
    }
    for (int n : new int[] {7996, 7997}) {
      eval("return S(pcall(function() return select('#', struct.unpack(string.rep('b', " + n + ") .. 'c0', string.rep('\\1', " + n + "), 1)) end))");
      eval("return S(pcall(function() return select('#', struct.unpack(string.rep('b', " + n + ") .. ' ', string.rep('\\1', " + n + "), 1)) end))");
    }
    // Round trips through every format letter and both byte orders.
    eval("local r = {} for _, f in ipairs({'<', '>', '!', '!4'}) do local fmt = f .. 'bBhHiIlLfdTi3I5xs c0c4' "
        + "local p = struct.pack(fmt, -5, 250, -30000, 60000, -2^31, 2^32 - 2, -2^53, 2^53, 1.25, -1/3, 12345, -70000, 2^39, "
        + "'zero', 'free', 'four') r[#r + 1] = H(p) r[#r + 1] = S(struct.unpack((fmt:gsub('c0', 'c4')), p)) "
        + "r[#r + 1] = S(struct.size(f .. 'bBhHiIlLfdTi3I5x')) end return table.concat(r, ' | ')");
  }
}
