package io.keyshard.persistence;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Redis list: a ring buffer of elements, so pushing and popping at either end and reading or
 * writing by index are O(1); inserting, removing by value and trimming are O(n) (trimming only
 * in the elements it drops). Mutable in place, like {@link HashValue}: whoever keeps a list
 * beyond the live keyspace takes {@link #copy}. Element arrays are never mutated, so copies share
 * them. Redis 7.0 encodes every list as a quicklist, whatever its size, so nothing else is kept.
 * Stored as the plain element list, head first.
 */
public final class ListValue implements Value {
  private static final int MIN_CAPACITY = 8;

  /** Capacity is a power of two, so an index wraps with a mask. */
  private byte[][] items;

  private int head;
  private int size;
  /** {@link #memoryBytes}: per element, its slot in the ring, the array header and bytes. */
  private long bytes;

  static final int PER_ELEMENT = 24;

  private static long cost(byte[] element) {
    return PER_ELEMENT + element.length;
  }

  public ListValue() {
    items = new byte[MIN_CAPACITY][];
  }

  private ListValue(byte[][] items, int size) {
    this.items = items;
    this.size = size;
  }

  @JsonCreator
  static ListValue fromJson(@JsonProperty("e") List<byte[]> elements) {
    ListValue l = new ListValue();
    if (elements != null) {
      l.ensureCapacity(elements.size());
      for (byte[] e : elements) {
        l.addLast(e);
      }
    }
    return l;
  }

  @JsonProperty("e")
  List<byte[]> elements() {
    List<byte[]> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(get(i));
    }
    return out;
  }

  @JsonIgnore
  public int size() {
    return size;
  }

  /** The element at {@code index}, 0 being the head; the index must be in range. */
  public byte[] get(int index) {
    check(index);
    return items[(head + index) & (items.length - 1)];
  }

  public void set(int index, byte[] element) {
    check(index);
    int at = (head + index) & (items.length - 1);
    bytes += cost(element) - cost(items[at]);
    items[at] = element;
  }

  public void addFirst(byte[] element) {
    ensureCapacity(size + 1);
    head = (head - 1) & (items.length - 1);
    items[head] = element;
    size++;
    bytes += cost(element);
  }

  public void addLast(byte[] element) {
    ensureCapacity(size + 1);
    items[(head + size) & (items.length - 1)] = element;
    size++;
    bytes += cost(element);
  }

  public byte[] removeFirst() {
    byte[] e = get(0);
    bytes -= cost(e);
    items[head] = null;
    head = (head + 1) & (items.length - 1);
    size--;
    shrinkIfSparse();
    return e;
  }

  public byte[] removeLast() {
    byte[] e = get(size - 1);
    bytes -= cost(e);
    items[(head + size - 1) & (items.length - 1)] = null;
    size--;
    shrinkIfSparse();
    return e;
  }

  /** Inserts so that the element ends up at {@code index} (0..size), moving the shorter side. */
  public void insert(int index, byte[] element) {
    if (index < 0 || index > size) {
      throw new IndexOutOfBoundsException(index + " of " + size);
    }
    if (index == 0) {
      addFirst(element);
      return;
    }
    if (index == size) {
      addLast(element);
      return;
    }
    ensureCapacity(size + 1);
    int mask = items.length - 1;
    if (index < size / 2) {
      head = (head - 1) & mask;
      for (int i = 0; i < index; i++) {
        items[(head + i) & mask] = items[(head + i + 1) & mask];
      }
    } else {
      for (int i = size; i > index; i--) {
        items[(head + i) & mask] = items[(head + i - 1) & mask];
      }
    }
    items[(head + index) & mask] = element;
    size++;
    bytes += cost(element);
  }

  /**
   * Removes elements equal to {@code element}: the first {@code count} from the head if count is
   * positive, the last {@code -count} from the tail if negative, all of them if 0. Answers how
   * many were removed.
   */
  public int remove(long count, byte[] element) {
    boolean[] drop = new boolean[size];
    long limit = count == 0 ? Long.MAX_VALUE : Math.abs(count == Long.MIN_VALUE ? Long.MAX_VALUE : count);
    int removed = 0;
    for (int n = 0; n < size && removed < limit; n++) {
      int i = count < 0 ? size - 1 - n : n;
      if (Arrays.equals(get(i), element)) {
        drop[i] = true;
        removed++;
      }
    }
    if (removed == 0) {
      return 0;
    }
    byte[][] kept = new byte[capacityFor(size - removed)][];
    int j = 0;
    for (int i = 0; i < size; i++) {
      if (!drop[i]) {
        kept[j++] = get(i);
      }
    }
    items = kept;
    head = 0;
    size = j;
    bytes -= removed * cost(element);
    return removed;
  }

  /** Keeps only the elements from {@code start} to {@code stop} (inclusive, clamped to the list). */
  public void trim(long start, long stop) {
    long first = Math.max(0, start);
    long last = Math.min(size - 1L, stop);
    if (first > last) {
      clear();
      return;
    }
    int dropTail = (int) (size - 1 - last);
    for (int i = 0; i < dropTail; i++) {
      bytes -= cost(items[(head + size - 1) & (items.length - 1)]);
      items[(head + size - 1) & (items.length - 1)] = null;
      size--;
    }
    for (long i = 0; i < first; i++) {
      bytes -= cost(items[head]);
      items[head] = null;
      head = (head + 1) & (items.length - 1);
      size--;
    }
    shrinkIfSparse();
  }

  private void clear() {
    items = new byte[MIN_CAPACITY][];
    head = 0;
    size = 0;
    bytes = 0;
  }

  /**
   * How many elements it holds, for snapshot sizing: overrides {@code Value.elementCount()} on
   * main (no {@code @Override} here, so this branch also builds before that method exists).
   */
  @Override
  public long elementCount() {
    return size;
  }

  /** A copy sharing nothing mutable with this one (element arrays are never mutated). */
  public ListValue deepCopy() {
    byte[][] copy = new byte[capacityFor(size)][];
    for (int i = 0; i < size; i++) {
      copy[i] = get(i);
    }
    ListValue l = new ListValue(copy, size);
    l.bytes = bytes;
    return l;
  }

  @Override
  public long memoryBytes() {
    return bytes;
  }

  @Override
  public ListValue copy() {
    return deepCopy();
  }

  @Override
  public String typeName() {
    return "list";
  }

  @Override
  public String encoding() {
    return "quicklist";
  }

  private void check(int index) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException(index + " of " + size);
    }
  }

  private static int capacityFor(int n) {
    if (n > 1 << 30) {
      throw new IllegalStateException("list too long: " + n);
    }
    int c = MIN_CAPACITY;
    while (c < n) {
      c <<= 1;
    }
    return c;
  }

  private void ensureCapacity(int n) {
    if (n > items.length) {
      resize(capacityFor(n));
    }
  }

  /** Gives memory back once a list that grew large is mostly popped. */
  private void shrinkIfSparse() {
    if (items.length > MIN_CAPACITY && size < items.length / 4) {
      resize(Math.max(MIN_CAPACITY, items.length / 2));
    }
  }

  private void resize(int capacity) {
    byte[][] next = new byte[capacity][];
    for (int i = 0; i < size; i++) {
      next[i] = items[(head + i) & (items.length - 1)];
    }
    items = next;
    head = 0;
  }
}
