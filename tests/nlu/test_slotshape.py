from nlu.slotshape import slot_shape


def test_bare_values_are_fully_covered():
    for text in ["3号楼2单元502", "明天下午", "13812345678", "理发", "3-2-502", "下周三上午"]:
        shape = slot_shape(text)
        assert shape[0] == 1.0 and shape[1] == 1.0, text


def test_requests_leave_residual_text():
    shape = slot_shape("后天上午来6号楼帮我修一下水龙头")
    assert 0.0 < shape[0] < 1.0
    assert shape[1] == 0.0


def test_no_values_and_empty_text():
    assert slot_shape("好的")[0] == 0.0
    assert slot_shape("")[1] == 1.0
    assert len(slot_shape("随便什么")) == 11
